#!/usr/bin/env bash
# The local stack: a PostgreSQL primary, N hot standbys streaming from it (pg_basebackup -R, physical
# replication slots) and a Redis server, all in a git-ignored folder on project-specific loopback ports
# so they never collide with servers already running on this machine.
#
#   stack/stack.sh up                 start everything (idempotent); REPLICAS=2 for two standbys
#   stack/stack.sh down               stop everything (data is kept)
#   stack/stack.sh status             one line per server
#   stack/stack.sh stop-standby N     stop standby N (used by the fault tests)
#   stack/stack.sh start-standby N    start standby N again
#   stack/stack.sh stop-primary       stop the primary (fault tests); start-primary starts it
#   stack/stack.sh stop-redis         stop Redis (fault tests); start-redis starts it
#   stack/stack.sh destroy            stop and delete all data
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK_DIR=${STACK_DIR:-$ROOT/.stack}
PRIMARY_PORT=${PG_PRIMARY_PORT:-55432}
STANDBY_BASE_PORT=${PG_STANDBY_BASE_PORT:-55433}
REDIS_PORT=${REDIS_PORT:-56379}
REPLICAS=${REPLICAS:-1}
DB_NAME=${PG_DATABASE:-hmis}
PG_USER_OS=${PG_OS_USER:-postgres}

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  is_root || die "missing $* — install it (Debian: sudo apt-get install -y $*) and run again"
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

find_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] && command -v pg_ctl >/dev/null 2>&1; then dir=$(dirname "$(command -v pg_ctl)"); fi
  echo "$dir"
}

ensure_binaries() {
  PG_BIN=$(find_pg_bin)
  if [ -z "$PG_BIN" ]; then
    apt_install postgresql postgresql-contrib
    PG_BIN=$(find_pg_bin)
  fi
  [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL server binaries not found (install the Debian package postgresql)"
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  # The stack runs on its own ports: stop Debian's packaged services from being started by the install.
}

# PostgreSQL refuses to run as root: run its binaries as an unprivileged user.
as_pg() {
  if is_root; then
    id "$PG_USER_OS" >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER_OS"
    runuser -u "$PG_USER_OS" -- "$@"
  else
    "$@"
  fi
}

# Where PostgreSQL keeps its data, sockets and logs: $STACK_DIR/pg, unless the unprivileged user cannot
# reach the checkout (e.g. it lives under /root); then a folder of that user's, linked from $STACK_DIR/pg.
pg_home() {
  if [ -L "$STACK_DIR/pg" ]; then readlink -f "$STACK_DIR/pg"; else echo "$STACK_DIR/pg"; fi
}

prepare_dirs() {
  mkdir -p "$STACK_DIR/log" "$STACK_DIR/redis"
  [ -e "$STACK_DIR/pg" ] || mkdir -p "$STACK_DIR/pg"
  if is_root && [ ! -L "$STACK_DIR/pg" ]; then
    chown "$PG_USER_OS" "$STACK_DIR/pg"
    if ! as_pg test -w "$STACK_DIR/pg"; then
      local outside
      outside=/var/lib/hmis-stack/$(printf '%s' "$ROOT" | md5sum | cut -c1-12)
      say "user $PG_USER_OS cannot reach $STACK_DIR; keeping PostgreSQL data in $outside"
      mkdir -p "$outside" && chown "$PG_USER_OS" "$outside" /var/lib/hmis-stack
      rmdir "$STACK_DIR/pg" && ln -s "$outside" "$STACK_DIR/pg"
    fi
  fi
  PG_HOME=$(pg_home)
  as_pg mkdir -p "$PG_HOME/run" "$PG_HOME/log"
}

pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

pg_start() { # datadir name
  if pg_running "$1"; then return 0; fi
  local port
  port=$(cat "$1/postgresql.conf" "$1/postgresql.auto.conf" 2>/dev/null | sed -n 's/^port = //p' | tail -n 1)
  if [ -n "$port" ] && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    die "port $port is taken by another server (another checkout's stack? stop it with its 'make stop')"
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$PG_HOME/log/$2.log" -w -t 60 start >/dev/null ||
    die "$2 did not start; see $PG_HOME/log/$2.log"
}

pg_stop() { # datadir
  [ -d "$1" ] || return 0
  if pg_running "$1"; then as_pg "$PG_BIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null; fi
}

psql_primary() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -At "$@"
}

init_primary() {
  local dir=$PG_HOME/primary
  [ -f "$dir/PG_VERSION" ] && return 0
  say "initialising the primary in $dir"
  as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$dir/postgresql.conf" <<CONF

# --- HMIS local stack ---
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$PG_HOME/run'
max_connections = 200
shared_buffers = 256MB
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 512MB
hot_standby = on
hot_standby_feedback = on
max_standby_streaming_delay = 30s
shared_preload_libraries = 'pg_stat_statements'
log_min_duration_statement = 1000
CONF
}

ensure_database() {
  if [ -z "$(psql_primary -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
    say "creating database $DB_NAME"
    psql_primary -c "CREATE DATABASE $DB_NAME"
  fi
}

standby_dir() { echo "$PG_HOME/standby$1"; }
standby_port() { echo $((STANDBY_BASE_PORT + $1 - 1)); }

init_standby() {
  local n=$1 dir port slot
  dir=$(standby_dir "$n"); port=$(standby_port "$n"); slot="hmis_standby_$n"
  [ -f "$dir/standby.signal" ] && return 0
  say "creating standby $n with pg_basebackup (port $port)"
  rm -rf "$dir"
  psql_primary -c "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots WHERE slot_name = '$slot'" >/dev/null
  as_pg "$PG_BIN/pg_basebackup" -D "$dir" -R -X stream -c fast -C -S "$slot" \
    -d "host=127.0.0.1 port=$PRIMARY_PORT user=postgres application_name=standby$n"
  printf "port = %s\n" "$port" | as_pg tee -a "$dir/postgresql.auto.conf" >/dev/null
}

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

wait_streaming() { # number of standbys expected to stream
  for _ in $(seq 100); do
    local n
    n=$(psql_primary -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
    [ "$n" -ge "$1" ] && return 0
    sleep 0.2
  done
  die "standbys are not streaming; see $PG_HOME/log/"
}

# The stack's ports lie in Linux's ephemeral range (32768-60999): an outgoing connection may take one as
# its source port, and while that socket lingers in TIME_WAIT a server restarting on it cannot bind
# ("Address already in use"). Reserve them, when we may, so the kernel never hands them out.
reserve_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports ours current
  is_root && [ -w "$file" ] || return 0
  ours="$PRIMARY_PORT-$((STANDBY_BASE_PORT + 7)),$REDIS_PORT"
  current=$(cat "$file")
  case ",$current," in *",$ours,"*) return 0 ;; esac
  echo "${current:+$current,}$ours" > "$file" 2>/dev/null || true
}

cmd_up() {
  ensure_binaries
  prepare_dirs
  reserve_ports
  init_primary
  pg_start "$PG_HOME/primary" primary
  ensure_database
  for n in $(seq 1 "$REPLICAS"); do
    init_standby "$n"
    pg_start "$(standby_dir "$n")" "standby$n"
  done
  start_redis
  wait_streaming "$REPLICAS"
  cmd_status
}

cmd_down() {
  PG_BIN=$(find_pg_bin); PG_HOME=$(pg_home)
  local dir
  for dir in "$PG_HOME"/standby*; do [ -d "$dir" ] && pg_stop "$dir"; done
  pg_stop "$PG_HOME/primary"
  stop_redis
  say "stopped"
}

cmd_status() {
  PG_BIN=$(find_pg_bin); PG_HOME=$(pg_home)
  local dir name state
  for dir in "$PG_HOME/primary" "$PG_HOME"/standby*; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    if pg_running "$dir"; then state=running; else state=stopped; fi
    say "$name: $state (port $(cat "$dir/postgresql.conf" "$dir/postgresql.auto.conf" | sed -n 's/^port = //p' | tail -n 1))"
  done
  if redis_cli ping >/dev/null 2>&1; then state=running; else state=stopped; fi
  say "redis: $state (port $REDIS_PORT)"
}

cmd_standby() { # start|stop N
  PG_BIN=$(find_pg_bin); PG_HOME=$(pg_home)
  local dir
  dir=$(standby_dir "$2")
  [ -d "$dir" ] || die "standby $2 does not exist"
  if [ "$1" = start ]; then pg_start "$dir" "standby$2"; else pg_stop "$dir"; fi
}

cmd_destroy() {
  cmd_down
  [ -L "$STACK_DIR/pg" ] && rm -rf "$(pg_home)"
  rm -rf "$STACK_DIR"
  say "deleted $STACK_DIR"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  stop-standby) cmd_standby stop "${2:?standby number}" ;;
  start-standby) cmd_standby start "${2:?standby number}" ;;
  stop-redis) stop_redis ;;
  start-redis) start_redis ;;
  stop-primary) PG_BIN=$(find_pg_bin); PG_HOME=$(pg_home); pg_stop "$PG_HOME/primary" ;;
  start-primary) PG_BIN=$(find_pg_bin); PG_HOME=$(pg_home); pg_start "$PG_HOME/primary" primary ;;
  destroy) cmd_destroy ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
