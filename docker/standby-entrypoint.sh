#!/usr/bin/env bash
# A hot standby: on first start, clone the primary with pg_basebackup -R (physical replication, own slot),
# then run postgres, which streams WAL from the primary and serves read-only queries.
set -euo pipefail
: "${PRIMARY_HOST:=primary}" "${SLOT_NAME:=standby1}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -U "$POSTGRES_USER" >/dev/null 2>&1; do sleep 1; done
  rm -rf "${PGDATA:?}"/*
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" \
    -R -X stream -c fast -C -S "$SLOT_NAME" || \
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" \
    -R -X stream -c fast -S "$SLOT_NAME"
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
