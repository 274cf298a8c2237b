#!/usr/bin/env bash
# A Patroni node: its configuration (with the cluster-wide settings shared with the local stack), the
# pgBackRest repository shared by every node (the WAL archive is pushed by whichever node is primary), and
# the nightly backups, taken by the node that is primary at the time: a full one on Sundays, else incremental.
set -euo pipefail
mkdir -p /tmp/patroni /var/lib/pgbackrest/log /var/lib/pgbackrest/lock
# Merge: the base file plus bootstrap.dcs (YAML has no include).
python3 - <<'PY'
import yaml
base = yaml.safe_load(open("/etc/patroni/patroni.yml"))
base["bootstrap"]["dcs"] = yaml.safe_load(open("/etc/patroni/dcs.yml"))
yaml.safe_dump(base, open("/tmp/patroni/patroni.yml", "w"))
PY
mkdir -p /tmp/pgbackrest
cat >/tmp/pgbackrest/pgbackrest.conf <<CONF
[global]
repo1-path=/var/lib/pgbackrest
repo1-retention-full=${BACKUP_RETENTION_FULL:-2}
process-max=2
compress-type=lz4
start-fast=y
log-path=/var/lib/pgbackrest/log
lock-path=/var/lib/pgbackrest/lock
[hmis]
pg1-path=/var/lib/postgresql/data/pgdata
pg1-socket-path=/var/run/postgresql
CONF

is_primary() { curl -sf -o /dev/null http://127.0.0.1:8008/primary; }
backups() {
  pgbackrest --config=/tmp/pgbackrest/pgbackrest.conf --stanza=hmis info >/dev/null 2>&1 || true
  while sleep 60; do
    is_primary || continue
    if ! pgbackrest --config=/tmp/pgbackrest/pgbackrest.conf --stanza=hmis info --output=json | grep -q '"label"'; then
      pgbackrest --config=/tmp/pgbackrest/pgbackrest.conf --stanza=hmis stanza-create || true
      pgbackrest --config=/tmp/pgbackrest/pgbackrest.conf --stanza=hmis backup --type=full || true
    elif [ "$(date +%H:%M)" = "${BACKUP_AT:-01:30}" ]; then
      if [ "$(date +%u)" = 7 ]; then type=full; else type=incr; fi
      pgbackrest --config=/tmp/pgbackrest/pgbackrest.conf --stanza=hmis backup --type=$type || true
    fi
  done
}
backups &
exec patroni /tmp/patroni/patroni.yml
