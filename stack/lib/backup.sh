# Backups with pgBackRest: the WAL archive (archive_command on whichever node is primary), full and
# incremental backups of the primary, retention, and point-in-time restore into a separate cluster on
# PG_RESTORE_PORT (never over the running cluster).
# shellcheck shell=bash

BACKUP_RETENTION_FULL=${BACKUP_RETENTION_FULL:-2}  # full backups kept (with their incrementals and WAL)
BACKUP_PROCESSES=${BACKUP_PROCESSES:-2}
PGBR_CONF=${PGBR_CONF:-}  # set by backup_paths

backup_paths() { PGBR_CONF=$PG_HOME/pgbackrest.conf; RESTORE_DIR=$PG_HOME/restore; }

write_pgbackrest_config() {
  as_pg tee "$PGBR_CONF" >/dev/null <<CONF
# Written by stack/stack.sh (regenerated on every 'up').
[global]
repo1-path=$PG_HOME/backup
repo1-retention-full=$BACKUP_RETENTION_FULL
process-max=$BACKUP_PROCESSES
compress-type=lz4
start-fast=y
archive-timeout=60
log-path=$PG_HOME/log
lock-path=$PG_HOME/run/pgbackrest
spool-path=$PG_HOME/run/pgbackrest
log-level-console=warn
log-level-file=info

[$STANZA]
pg1-socket-path=$PG_HOME/run
CONF
}

pgbr() { as_pg pgbackrest --config="$PGBR_CONF" --stanza="$STANZA" "$@"; }
pgbr_primary() { # command args...: run against the current primary
  local leader; leader=$(leader_node)
  [ -n "$leader" ] || die "no primary is running: start the stack first"
  pgbr "$@" --pg1-path="$(node_dir "$leader")" --pg1-port="$(node_port "$leader")"
}

backup_count() { pgbr info --output=json 2>/dev/null | python3 -c \
  'import json,sys; d=json.load(sys.stdin); print(sum(len(s.get("backup", [])) for s in d))' 2>/dev/null || echo 0; }

# On a new cluster: the stanza, and a first full backup so point-in-time restore works from the start.
ensure_backups() {
  if ! pgbr info --output=json 2>/dev/null | grep -q '"status":{"code":0'; then
    say "creating the pgBackRest stanza $STANZA"
    pgbr_primary stanza-create >/dev/null || pgbr_primary stanza-upgrade >/dev/null
  fi
  [ "$(backup_count)" -gt 0 ] || run_backup full
}

# pgBackRest's detail log names every file with the share of the whole done so far: one line per 10 %.
progress_filter() { # label
  awk -v label="$1" '
    match($0, /, [0-9.]+%\)/) {
      pct = substr($0, RSTART + 2, RLENGTH - 4) + 0
      if (pct >= shown + 10 || (pct >= 100 && shown < 100)) { shown = pct - pct % 10; printf "[stack] %s %d%%\n", label, pct; fflush() }
      next
    }
    /ERROR|WARN/ { print; fflush() }'
}

run_backup() { # full|incr|diff
  local type=${1:-incr} started
  case "$type" in full | incr | diff) ;; *) die "backup type is full, incr or diff (not '$type')" ;; esac
  started=$(date +%s)
  say "$type backup of node$(leader_node) into $PG_HOME/backup"
  set -o pipefail
  pgbr_primary backup --type="$type" --log-level-console=detail 2>&1 | progress_filter "backup" ||
    die "the backup failed; see $PG_HOME/log/$STANZA-backup.log"
  say "backup done in $(($(date +%s) - started)) s: $(pgbr info --output=json | python3 "$ROOT/stack/lib/backups.py" last)"
}

backup_info() { pgbr info; }

# --- point-in-time restore ----------------------------------------------------------------------------
restored_running() { [ -d "$RESTORE_DIR" ] && as_pg "$PG_BIN/pg_ctl" -D "$RESTORE_DIR" status >/dev/null 2>&1; }
stop_restored() { backup_paths; if restored_running; then as_pg "$PG_BIN/pg_ctl" -D "$RESTORE_DIR" -m fast -w stop >/dev/null; fi; }

# restore TARGET [--replace]: TARGET is a time with its zone ("2026-12-01 10:15:00+00") or "immediate"
# (the end of the latest backup). Checks come first; a bad target touches nothing.
run_restore() {
  local target=${1:?a target time, e.g. \"2026-12-01 10:15:00+00\", or immediate} replace=${2:-}
  local plan set_label kind wal_segments
  pgbr info --output=json | python3 "$ROOT/stack/lib/backups.py" plan "$target" >/dev/null || exit 1
  # Recovery to a time stops at the first commit after it, so the archive must hold one: when the cluster
  # runs, commit an empty transaction now (after any target; a quiet cluster may have none), then switch
  # and archive the WAL (pgBackRest's check).
  if [ -n "$(leader_node)" ] && [ "$target" != immediate ]; then
    psql_node "$(leader_node)" -c "SELECT txid_current()" >/dev/null 2>&1 || true
    pgbr_primary check >/dev/null 2>&1 || say "warning: could not archive the current WAL (check failed)"
  fi
  plan=$(pgbr info --output=json | python3 "$ROOT/stack/lib/backups.py" plan "$target") || exit 1
  read -r set_label kind wal_segments <<<"$plan"
  if [ -e "$RESTORE_DIR" ]; then
    [ "$replace" = --replace ] || die "$RESTORE_DIR holds an earlier restore; pass --replace (make restore REPLACE=1)"
    stop_restored
    as_pg rm -rf "$RESTORE_DIR"
  fi
  if port_in_use "$RESTORE_PORT"; then die "port $RESTORE_PORT is taken: the restore needs it free"; fi
  local started; started=$(date +%s)
  say "restoring backup $set_label ($kind) into $RESTORE_DIR, target: $target"
  local recovery=(--type=immediate)
  [ "$target" = immediate ] || recovery=(--type=time "--target=$target" --target-timeline=latest)
  as_pg mkdir -p "$RESTORE_DIR" && as_pg chmod 700 "$RESTORE_DIR"
  set -o pipefail
  pgbr restore --pg1-path="$RESTORE_DIR" --set="$set_label" "${recovery[@]}" --target-action=promote \
    --archive-mode=off --log-level-console=detail 2>&1 | progress_filter "restore files" ||
    die "pgBackRest could not restore; see $PG_HOME/log/$STANZA-restore.log (the cluster was not touched)"
  say "files restored in $(($(date +%s) - started)) s; replaying WAL to the target on port $RESTORE_PORT"
  # A standalone server: its own port, no archiving into the cluster's repository, no standby to wait for.
  local opts="-c port=$RESTORE_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_HOME/run"
  opts="$opts -c archive_mode=off -c synchronous_standby_names= -c hot_standby=off -c logging_collector=off"
  opts="$opts -c max_connections=200 -c max_wal_senders=10 -c max_replication_slots=10 -c cluster_name=hmis-restore"
  as_pg rm -f "$RESTORE_DIR/standby.signal"
  : | as_pg tee "$PG_HOME/log/restore.log" >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$RESTORE_DIR" -o "$opts" -l "$PG_HOME/log/restore.log" -W start >/dev/null
  # Progress: WAL segments replayed so far, every 5 s, against the most there can be (the archive's segments
  # after the backup; a time target stops earlier).
  local segments=0 said=-1 said_at=0 most=""
  [ "${wal_segments:-0}" -gt 0 ] && most=" of at most $wal_segments"
  while ! restore_promoted; do
    if ! restored_running; then
      if grep -q "recovery ended before configured recovery target" "$PG_HOME/log/restore.log"; then
        die "the WAL archive ends before $target (no commit after it was archived); the cluster was not touched"
      fi
      die "recovery failed: $(grep 'FATAL\|PANIC' "$PG_HOME/log/restore.log" | tail -n 1)"
    fi
    segments=$( (grep -o 'restored log file "[0-9A-F]\{24\}"' "$PG_HOME/log/restore.log" || true) | sort -u | wc -l)
    if [ "$segments" != "$said" ] && [ $(($(date +%s) - said_at)) -ge 5 ]; then
      say "replaying WAL: $segments segments$most (16 MB each), $(($(date +%s) - started)) s"
      said=$segments said_at=$(date +%s)
    fi
    sleep 0.5
  done
  local stopped
  stopped=$(grep -m1 -o 'recovery stopping.*' "$PG_HOME/log/restore.log" ||
    grep -m1 -o 'consistent recovery state reached.*' "$PG_HOME/log/restore.log" || true)
  say "restored in $(($(date +%s) - started)) s, $segments WAL segments replayed: $stopped"
  restore_report
}

restore_promoted() { [ "$(psql_port "$RESTORE_PORT" -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]; }

restore_report() {
  local db="${RESTORE_DATABASE:-$DB_NAME}"
  say "restored cluster: 127.0.0.1:$RESTORE_PORT (database $db), data in $RESTORE_DIR"
  psql_port "$RESTORE_PORT" -d "$db" -F ' ' -c "
    SELECT 'rows', t, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', t), false, true, '')))[1]::text
    FROM unnest(ARRAY['clinical_patient', 'clinical_encounter', 'billing_invoice', 'billing_payment',
                      'pharmacy_dispense']) AS t WHERE to_regclass(t) IS NOT NULL" 2>/dev/null |
    while read -r _ table count; do say "  $table: $count rows"; done
  say "to inspect: psql -h 127.0.0.1 -p $RESTORE_PORT -U postgres $db; to make it the system of record: README 'Backups'"
}
