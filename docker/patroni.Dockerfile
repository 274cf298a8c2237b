# A PostgreSQL node under Patroni, with pgBackRest: the image of the pg1..pg3 services (docker-compose.yml).
FROM postgres:15
RUN apt-get update \
 && apt-get install -y --no-install-recommends patroni python3-etcd pgbackrest curl \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/pgbackrest && chown postgres:postgres /var/lib/pgbackrest
COPY docker/patroni.yml /etc/patroni/patroni.yml
COPY stack/patroni-dcs.yml /etc/patroni/dcs.yml
COPY stack/lib/archive-push.sh /usr/local/bin/archive-push.sh
COPY docker/patroni-entrypoint.sh docker/post-bootstrap.sh /usr/local/bin/
USER postgres
EXPOSE 5432 8008
ENTRYPOINT ["/usr/local/bin/patroni-entrypoint.sh"]
