#!/usr/bin/env bash
# The local stack: a PostgreSQL cluster under Patroni (node 1 + REPLICAS standbys, synchronous replication,
# automatic failover, etcd as the DCS), pgBackRest (WAL archive, backups, point-in-time restore) and Redis,
# all in a git-ignored folder on project-specific loopback ports so they never collide with servers already
# running on this machine.
#
#   stack/stack.sh up                 start everything (idempotent); REPLICAS=2 standbys by default
#   stack/stack.sh down               stop everything (data is kept)
#   stack/stack.sh status             one line per server (Patroni's role, lag), Redis, etcd, backups
#   stack/stack.sh stop-standby N     stop the node on port PG_STANDBY_BASE_PORT+N-1 (refused if it leads)
#   stack/stack.sh start-standby N    start it again; returns once it streams (and one standby is synchronous)
#   stack/stack.sh stop-primary       maintenance mode, then stop the primary (nobody takes over)
#   stack/stack.sh start-primary      start it again and leave maintenance mode
#   stack/stack.sh kill-primary       the primary's host dies: kill -9 its Patroni and its postmaster
#   stack/stack.sh crash-primary      the primary's postmaster alone dies (Patroni restarts or fails over)
#   stack/stack.sh stop-node N | start-node N   any node by number (start-node brings a killed host back)
#   stack/stack.sh switchover [N]     make node N (default 1) the primary, cleanly
#   stack/stack.sh replication sync|async       synchronous (the default: zero loss) or not (benchmarks)
#   stack/stack.sh stop-etcd | start-etcd       the DCS (the primary keeps serving: failsafe mode)
#   stack/stack.sh stop-redis         stop Redis (fault tests); start-redis starts it
#   stack/stack.sh backup [full|incr|diff]      a pgBackRest backup of the primary, with progress
#   stack/stack.sh backups            the backups and the WAL archive (pgbackrest info)
#   stack/stack.sh restore TIME|immediate [--replace]   point-in-time restore into a separate cluster
#   stack/stack.sh stop-restore       stop the restored cluster
#   stack/stack.sh destroy            stop and delete all data
set -euo pipefail

LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib
# shellcheck source=stack/lib/common.sh
. "$LIB/common.sh"
# shellcheck source=stack/lib/cluster.sh
. "$LIB/cluster.sh"
# shellcheck source=stack/lib/backup.sh
. "$LIB/backup.sh"

redis_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

redis_ready() { [ "$(redis_cli ping 2>/dev/null)" = "PONG" ]; }  # not LOADING: really serving

start_redis() {
  if redis_ready; then return 0; fi
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
    --pidfile "$STACK_DIR/redis/redis.pid" --dir "$STACK_DIR/redis" --logfile "$STACK_DIR/log/redis.log" \
    --save "" --appendonly yes --appendfsync everysec
  for _ in $(seq 300); do redis_ready && return 0; sleep 0.1; done
  die "redis did not start; see $STACK_DIR/log/redis.log"
}

stop_redis() {
  if redis_cli ping >/dev/null 2>&1; then redis_cli shutdown nosave >/dev/null 2>&1 || true; fi
}

context() { PG_BIN=$(find_pg_bin); PG_HOME=$(pg_home); backup_paths; }

cmd_up() {
  ensure_binaries
  prepare_dirs
  backup_paths
  reserve_ports
  write_pgbackrest_config
  cluster_up
  start_redis
  wait_cluster_ready
  ensure_backups
  cmd_status
}

cmd_down() {
  context
  [ -d "$PG_HOME/patroni" ] && cluster_down
  stop_redis
  say "stopped"
}

cmd_status() {
  context
  local name role state port lag tl
  if etcd_ready; then say "etcd: running (port $ETCD_CLIENT_PORT)"; else say "etcd: stopped (port $ETCD_CLIENT_PORT)"; fi
  for n in $(existing_nodes); do
    read -r name role state port lag tl < <(members cluster | grep "^node$n " || echo "node$n - stopped $(node_port "$n") - -")
    patroni_running "$n" || state="stopped (Patroni down)"
    say "node$n: ${role/-/unknown} $state (port $(node_port "$n"), Patroni $(node_rest_port "$n"), lag ${lag} bytes, timeline ${tl})"
  done
  if redis_cli ping >/dev/null 2>&1; then say "redis: running (port $REDIS_PORT)"; else say "redis: stopped (port $REDIS_PORT)"; fi
  if restored_running; then say "restored cluster: running (port $RESTORE_PORT)"; fi
}

node_arg() { # N from a standby number (ports as before Patroni: standby N = node N+1)
  local n=$(($1 + 1))
  [ -f "$(node_config "$n")" ] || die "standby $1 (node$n) does not exist"
  echo "$n"
}

cmd_stop_standby() {
  context
  local n; n=$(node_arg "$1")
  [ "$(leader_node)" = "$n" ] && die "node$n is the primary now, not a standby (switchover first)"
  patroni_stop "$n"
}

cmd_destroy() {
  cmd_down
  [ -L "$STACK_DIR/pg" ] && rm -rf "$(pg_home)"
  rm -rf "$STACK_DIR"
  say "deleted $STACK_DIR"
}

need_leader() { local l; l=$(leader_node); [ -n "$l" ] || die "no primary is running"; echo "$l"; }

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  stop-standby) cmd_stop_standby "${2:?standby number}" ;;
  start-standby) context; patroni_start "$(node_arg "${2:?standby number}")"; wait_cluster_ready ;;
  stop-node) context; patroni_stop "${2:?node number}" ;;
  start-node) context; patroni_start "${2:?node number}"; wait_cluster_ready ;;
  stop-primary) context; stop_primary ;;
  start-primary) context; start_primary; wait_cluster_ready ;;
  kill-primary) context; kill_node "$(need_leader)" ;;
  crash-primary) context; crash_postmaster "$(need_leader)" ;;
  switchover) context; switchover_to "${2:-1}" ;;
  replication) context; set_replication "${2:?sync or async}" ;;
  stop-etcd) context; etcd_stop ;;
  start-etcd) context; etcd_start ;;
  stop-redis) stop_redis ;;
  start-redis) start_redis ;;
  backup) context; run_backup "${2:-incr}" ;;
  backups) context; if [ "${2:-}" = --json ]; then pgbr info --output=json; else backup_info; fi ;;
  restore) context; run_restore "${2:-}" "${3:-}" ;;
  stop-restore) context; stop_restored ;;
  destroy) cmd_destroy ;;
  *) sed -n '2,27p' "$0"; exit 2 ;;
esac
