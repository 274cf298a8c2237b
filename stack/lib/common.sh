# Shared by stack/stack.sh and its libraries: settings, messages, packages, the unprivileged user, daemons.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_DIR=${STACK_DIR:-$ROOT/.stack}
PRIMARY_PORT=${PG_PRIMARY_PORT:-55432}           # node 1 (the primary when the cluster is created)
STANDBY_BASE_PORT=${PG_STANDBY_BASE_PORT:-55433} # nodes 2, 3, ...
RESTORE_PORT=${PG_RESTORE_PORT:-$((STANDBY_BASE_PORT + 8))}  # a point-in-time restore, never the cluster
REDIS_PORT=${REDIS_PORT:-56379}
# etcd and Patroni's REST APIs follow node 1's port (56479, 56480, 56008-56010 beside 55432), so a second
# stack that moves its PostgreSQL ports moves these too.
ETCD_CLIENT_PORT=${ETCD_CLIENT_PORT:-$((PRIMARY_PORT + 1047))}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-$((ETCD_CLIENT_PORT + 1))}
PATRONI_REST_BASE_PORT=${PATRONI_REST_BASE_PORT:-$((PRIMARY_PORT + 576))}  # node N answers on base + N - 1
REPLICAS=${REPLICAS:-2}
DB_NAME=${PG_DATABASE:-hmis}
PG_USER_OS=${PG_OS_USER:-postgres}
SCOPE=${PATRONI_SCOPE:-hmis}
STANZA=${PGBACKREST_STANZA:-hmis}

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

# Server binaries from Debian's packages (the stack starts its own servers on its own ports; a packaged
# service the install may start on the default ports is left alone).
ensure_binaries() {
  PG_BIN=$(find_pg_bin)
  if [ -z "$PG_BIN" ]; then
    apt_install postgresql postgresql-contrib
    PG_BIN=$(find_pg_bin)
  fi
  [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL server binaries not found (install the Debian package postgresql)"
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v patroni >/dev/null 2>&1 || missing+=(patroni python3-etcd)
  command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
  command -v pgbackrest >/dev/null 2>&1 || missing+=(pgbackrest)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

# PostgreSQL (and so Patroni, etcd and pgBackRest beside it) refuse or should not run as root: run them
# as an unprivileged user.
as_pg() {
  if is_root; then
    id "$PG_USER_OS" >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_USER_OS"
    (cd / && runuser -u "$PG_USER_OS" -- "$@")  # from a folder it can enter (pg_ctl needs its cwd)
  else
    "$@"
  fi
}

# A file of the checkout for the servers' user, who may not reach the checkout (a clone under /root or in a
# private temporary folder): copied by us, owned by that user.
install_for_pg() { # mode source destination
  if is_root; then install -o "$PG_USER_OS" -m "$1" "$2" "$3"; else install -m "$1" "$2" "$3"; fi
}

# Where the servers keep data, sockets, configuration and logs: $STACK_DIR/pg, unless the unprivileged user
# cannot reach the checkout (e.g. it lives under /root); then a folder of that user's, linked from there.
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
  as_pg mkdir -p "$PG_HOME/run" "$PG_HOME/log" "$PG_HOME/patroni" "$PG_HOME/backup" "$PG_HOME/run/pgbackrest" \
    "$PG_HOME/bin"
  install_for_pg 0755 "$ROOT/stack/lib/archive-push.sh" "$PG_HOME/bin/archive-push.sh"
}

# Long-running servers without a daemon mode of their own (etcd, Patroni): start-stop-daemon detaches them
# into their own session, as the unprivileged user, with a pid file to find them again.
daemon_running() { [ -f "$1" ] && start-stop-daemon --status --pidfile "$1" >/dev/null 2>&1; }

daemon_start() { # pidfile logfile command args...
  local pidfile=$1 logfile=$2; shift 2
  daemon_running "$pidfile" && return 0
  local user=()
  if is_root; then user=(--chuid "$PG_USER_OS"); fi
  rm -f "$pidfile"
  start-stop-daemon --start --background --make-pidfile --pidfile "$pidfile" "${user[@]}" --chdir / \
    --output "$logfile" --exec "$1" -- "${@:2}"
}

daemon_stop() { # pidfile [seconds before KILL]
  daemon_running "$1" || { rm -f "$1"; return 0; }
  start-stop-daemon --stop --pidfile "$1" --remove-pidfile --retry "TERM/${2:-60}/KILL/5" >/dev/null || true
}

daemon_pid() { cat "$1" 2>/dev/null || true; }

# The stack's ports lie in Linux's ephemeral range (32768-60999): an outgoing connection may take one as
# its source port, and while that socket lingers in TIME_WAIT a server restarting on it cannot bind
# ("Address already in use"). Reserve them, when we may, so the kernel never hands them out.
reserve_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports ours current rest_end
  is_root && [ -w "$file" ] || return 0
  rest_end=$((PATRONI_REST_BASE_PORT + 7))
  ours="$PRIMARY_PORT-$((STANDBY_BASE_PORT + 8)),$REDIS_PORT,$ETCD_CLIENT_PORT,$ETCD_PEER_PORT"
  ours="$ours,$PATRONI_REST_BASE_PORT-$rest_end"
  current=$(cat "$file")
  case ",$current," in *",$ours,"*) return 0 ;; esac
  echo "${current:+$current,}$ours" > "$file" 2>/dev/null || true
}

port_in_use() { # port: something answers TCP on 127.0.0.1:port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for() { # tries(0.2 s each) message command...
  local tries=$1 message=$2; shift 2
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.2; done
  die "$message"
}
