# The PostgreSQL cluster under Patroni: one etcd member (the DCS), one Patroni node per PostgreSQL server.
# Patroni decides who is primary; synchronous replication (strict) means a commit is acknowledged only once
# a standby has it too. Node 1 listens on PG_PRIMARY_PORT, node N > 1 on PG_STANDBY_BASE_PORT + N - 2.
# shellcheck shell=bash

node_port() { if [ "$1" = 1 ]; then echo "$PRIMARY_PORT"; else echo $((STANDBY_BASE_PORT + $1 - 2)); fi; }
node_rest_port() { echo $((PATRONI_REST_BASE_PORT + $1 - 1)); }
node_dir() { echo "$PG_HOME/node$1"; }
node_config() { echo "$PG_HOME/patroni/node$1.yml"; }
node_pidfile() { echo "$PG_HOME/run/patroni-node$1.pid"; }
etcd_pidfile() { echo "$PG_HOME/run/etcd.pid"; }

# Nodes that exist (have a configuration), plus those this run wants.
known_nodes() {
  local wanted=$((REPLICAS + 1)) n f
  { seq 1 "$wanted"; for f in "$PG_HOME"/patroni/node*.yml; do [ -f "$f" ] && basename "$f" .yml | tr -dc 0-9 && echo; done; } |
    sort -n -u
}
existing_nodes() { local f; for f in "$PG_HOME"/patroni/node*.yml; do [ -f "$f" ] && basename "$f" .yml | tr -dc 0-9 && echo; done | sort -n; }

rest_urls() { local n; for n in $(existing_nodes); do printf 'http://127.0.0.1:%s ' "$(node_rest_port "$n")"; done; }
members() { python3 "$ROOT/stack/lib/members.py" "$@" $(rest_urls); }
leader_name() { members leader 2>/dev/null || true; }
leader_node() { leader_name | tr -dc 0-9; }

psql_port() { # port sql...
  local port=$1; shift
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres -At "$@"
}
psql_node() { local n=$1; shift; psql_port "$(node_port "$n")" "$@"; }

# --- etcd ---------------------------------------------------------------------------------------------
http_get() { # port path: the response body (no curl on a fresh machine)
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3 && cat <&3) 2>/dev/null
}
etcd_ready() { http_get "$ETCD_CLIENT_PORT" /health | grep -q '"health":"true"'; }

etcd_start() {
  etcd_ready && return 0
  if ! daemon_running "$(etcd_pidfile)" && port_in_use "$ETCD_CLIENT_PORT"; then
    die "port $ETCD_CLIENT_PORT is taken by another server (another checkout's stack? stop it with its 'make stop')"
  fi
  local url_c="http://127.0.0.1:$ETCD_CLIENT_PORT" url_p="http://127.0.0.1:$ETCD_PEER_PORT"
  daemon_start "$(etcd_pidfile)" "$PG_HOME/log/etcd.log" "$(command -v etcd)" \
    --name hmis-etcd --data-dir "$PG_HOME/etcd" \
    --listen-client-urls "$url_c" --advertise-client-urls "$url_c" \
    --listen-peer-urls "$url_p" --initial-advertise-peer-urls "$url_p" \
    --initial-cluster "hmis-etcd=$url_p" --initial-cluster-state new \
    --heartbeat-interval 100 --election-timeout 1000 --enable-v2=false --logger zap --log-level warn
  wait_for 150 "etcd did not start; see $PG_HOME/log/etcd.log" etcd_ready
}

etcd_stop() { daemon_stop "$(etcd_pidfile)" 30; }

# Whether etcd knows a cluster (Patroni's initialize key): not on a new stack, nor after its etcd data was
# deleted to make a restored copy node 1 (README "Backups").
dcs_initialized() {
  python3 - "http://127.0.0.1:$ETCD_CLIENT_PORT" "/hmis/$SCOPE/initialize" <<'PY'
import base64, json, sys, urllib.request
key = base64.b64encode(sys.argv[2].encode()).decode()
request = urllib.request.Request(f"{sys.argv[1]}/v3/kv/range", data=json.dumps({"key": key}).encode(), method="POST")
with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
    sys.exit(0 if json.load(response).get("kvs") else 1)
PY
}

# --- Patroni ------------------------------------------------------------------------------------------
# The cluster-wide (DCS) settings are declared once, in stack/patroni-dcs.yml (the containers use the same
# file): the bootstrap section of every node's configuration, and applied to an existing cluster by 'up'
# whenever they change. Timings: the leader key lives `ttl` seconds unless renewed every `loop_wait`; a dead
# primary is replaced once its key expires plus about one loop.
write_dcs_config() {
  install_for_pg 0644 "$ROOT/stack/patroni-dcs.yml" "$PG_HOME/patroni/dcs.yml.new"
}

apply_dcs_config() { # on a running cluster, when dcs.yml changed since it was last applied
  if cmp -s "$PG_HOME/patroni/dcs.yml.new" "$PG_HOME/patroni/dcs.yml.applied" 2>/dev/null; then return 0; fi
  say "applying the cluster settings (Patroni DCS configuration)"
  patronictl_ edit-config --force --quiet --apply "$PG_HOME/patroni/dcs.yml.new" >/dev/null
  as_pg cp "$PG_HOME/patroni/dcs.yml.new" "$PG_HOME/patroni/dcs.yml.applied"
}

write_patroni_config() { # node
  local n=$1 port rest dir
  port=$(node_port "$n"); rest=$(node_rest_port "$n"); dir=$(node_dir "$n")
  local push="$PG_HOME/bin/archive-push.sh $PGBR_CONF $STANZA %p"  # prepare_dirs copies it there
  local get="pgbackrest --config=$PGBR_CONF --stanza=$STANZA --pg1-path=$dir archive-get %f \"%p\""
  as_pg tee "$(node_config "$n")" >/dev/null <<YAML
# Written by stack/stack.sh for node $n (regenerated on every 'up': edit the script, not this file).
scope: $SCOPE
namespace: /hmis/
name: node$n
log:
  dir: $PG_HOME/log/patroni-node$n
  level: INFO
  file_size: 10000000
  file_num: 2
restapi:
  listen: 127.0.0.1:$rest
  connect_address: 127.0.0.1:$rest
etcd3:
  hosts: 127.0.0.1:$ETCD_CLIENT_PORT
  protocol: http
bootstrap:
  dcs:
$(sed 's/^/    /' "$PG_HOME/patroni/dcs.yml.new")
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - auth: trust
postgresql:
  listen: 127.0.0.1:$port
  connect_address: 127.0.0.1:$port
  data_dir: $dir
  bin_dir: $PG_BIN
  pgpass: $PG_HOME/run/pgpass-node$n
  authentication:
    superuser: {username: postgres}
    replication: {username: postgres}
    rewind: {username: postgres}
  parameters:
    unix_socket_directories: $PG_HOME/run
    archive_command: '$push'
  recovery_conf:
    restore_command: '$get'
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
  create_replica_methods: [basebackup]
  basebackup: [{checkpoint: fast}]
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
watchdog:
  mode: "off"
tags: {}
YAML
}

patroni_running() { daemon_running "$(node_pidfile "$1")"; }

patroni_start() { # node
  local n=$1
  patroni_running "$n" && return 0
  local port; port=$(node_port "$n")
  if port_in_use "$port" && ! as_pg "$PG_BIN/pg_ctl" -D "$(node_dir "$n")" status >/dev/null 2>&1; then
    die "port $port is taken by another server (another checkout's stack? stop it with its 'make stop')"
  fi
  write_patroni_config "$n"
  as_pg mkdir -p "$PG_HOME/log/patroni-node$n"
  daemon_start "$(node_pidfile "$n")" "$PG_HOME/log/patroni-node$n.out" "$(command -v patroni)" "$(node_config "$n")"
}

patroni_stop() { # node: Patroni stops its PostgreSQL (fast) and, if it led, hands the leader key back
  daemon_stop "$(node_pidfile "$1")" 90
}

node_accepts_writes() { [ "$(psql_node "$1" -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null)" = t ]; }
node_streams() { # node: a standby that is streaming from the leader
  [ "$(psql_node "$1" -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ]
}

wait_leader() { wait_for "${1:-300}" "no leader was elected; see $PG_HOME/log/patroni-node*/" leader_exists; }
leader_exists() { local l; l=$(leader_node); [ -n "$l" ] && node_accepts_writes "$l"; }

# Ready = a leader accepting writes, every running standby streaming, and (with any standby) one of them
# synchronous.
cluster_ready() {
  local leader n streaming=0 sync
  leader=$(leader_node); [ -n "$leader" ] && node_accepts_writes "$leader" || return 1
  local view; view=$(members cluster)
  for n in $(existing_nodes); do
    [ "$n" = "$leader" ] && continue
    patroni_running "$n" || continue
    grep -qE "^node$n [a-z_]+ (running|streaming) " <<<"$view" || return 1
    node_streams "$n" || return 1
    streaming=$((streaming + 1))
  done
  [ "$streaming" = 0 ] && return 0
  sync=$(psql_node "$leader" -c "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')")
  [ "$sync" -ge 1 ]
}
wait_cluster_ready() { wait_for "${1:-600}" "the cluster is not ready; see $PG_HOME/log/ (patroni-node*, etcd)" cluster_ready; }

ensure_database() {
  local leader; leader=$(leader_node)
  if [ -z "$(psql_node "$leader" -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
    say "creating database $DB_NAME"
    psql_node "$leader" -c "CREATE DATABASE $DB_NAME"
  fi
}

# A stack made before Patroni (primary/ + standby*/ folders): the old primary becomes node 1 (Patroni takes
# over a data folder it finds), the old standbys are dropped and cloned again by Patroni.
adopt_old_layout() {
  [ -f "$PG_HOME/primary/PG_VERSION" ] && [ ! -e "$(node_dir 1)" ] || return 0
  say "moving the pre-Patroni stack under Patroni: primary -> node1, standbys cloned again"
  local dir
  for dir in "$PG_HOME"/standby* "$PG_HOME/primary"; do
    [ -d "$dir" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  done
  as_pg rm -rf "$PG_HOME"/standby*
  as_pg mv "$PG_HOME/primary" "$(node_dir 1)"
  as_pg rm -f "$(node_dir 1)/standby.signal"
  ADOPTED=1
}

drop_old_slots() { # replication slots of the old standbys would keep WAL forever
  [ "${ADOPTED:-0}" = 1 ] || return 0
  psql_node "$(leader_node)" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
    WHERE slot_name LIKE 'hmis_standby_%' AND NOT active" >/dev/null
}

cluster_up() {
  adopt_old_layout
  write_dcs_config
  etcd_start
  local n first=1 leader
  # When etcd knows no cluster, the first node alone until it leads: it bootstraps (initdb) or takes over
  # the data it has (an adopted or restored copy), and the others clone it. Started together, a node
  # without data could win the race and initdb a new, empty cluster.
  leader=$(leader_node)
  if [ -z "$leader" ]; then
    patroni_start "$first"
    if ! dcs_initialized || [ "${ADOPTED:-0}" = 1 ]; then wait_leader; fi
  fi
  for n in $(known_nodes); do patroni_start "$n"; done
  wait_leader
  apply_dcs_config
  ensure_database
  drop_old_slots
}

cluster_down() {
  local leader n
  leader=$(leader_node)
  # Standbys first, so stopping the primary never triggers a failover to one of them.
  for n in $(existing_nodes); do [ "$n" != "$leader" ] && patroni_stop "$n"; done
  [ -n "$leader" ] && patroni_stop "$leader"
  for n in $(existing_nodes); do patroni_stop "$n"; done
  stop_restored
  etcd_stop
}

patronictl_() { as_pg patronictl -c "$(node_config "$(existing_nodes | head -n 1)")" "$@"; }

# The primary's host dies: its Patroni and its postmaster (with the backends) killed at once, no clean-up.
kill_node() { # node
  local n=$1 patroni pm
  patroni=$(daemon_pid "$(node_pidfile "$n")")
  pm=$(head -n 1 "$(node_dir "$n")/postmaster.pid" 2>/dev/null || true)
  local pids=("$patroni" "$pm")
  [ -n "$pm" ] && mapfile -t -O 2 pids < <(ps -o pid= --ppid "$pm" | tr -d ' ')
  kill -9 "${pids[@]}" 2>/dev/null || true
  rm -f "$(node_pidfile "$n")"
  say "killed node$n (Patroni $patroni, postmaster $pm and its backends)"
}

# The primary's postmaster crashes; Patroni lives on and restarts it (or fails over after
# primary_start_timeout).
crash_postmaster() { # node
  local pm; pm=$(head -n 1 "$(node_dir "$1")/postmaster.pid" 2>/dev/null || true)
  [ -n "$pm" ] || die "node$1 has no running postmaster"
  kill -9 "$pm"
  say "killed node$1's postmaster ($pm); its Patroni lives"
}

# The fault tests' "primary stopped, nobody takes over": maintenance mode (Patroni pauses), then the
# primary's PostgreSQL stops. start-primary starts it with Patroni's own command line, and resumes.
stop_primary() {
  local leader; leader=$(leader_node)
  [ -n "$leader" ] || die "no primary is running"
  patronictl_ pause --wait >/dev/null
  echo "$leader" | as_pg tee "$PG_HOME/run/stopped-primary" >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$(node_dir "$leader")" -m fast -w -t 60 stop >/dev/null
  say "node$leader (primary) stopped; Patroni paused (start-primary resumes)"
}

start_primary() {
  local n dir opts
  n=$(cat "$PG_HOME/run/stopped-primary" 2>/dev/null || leader_node)
  dir=$(node_dir "$n")
  if ! as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    # postmaster.opts: the binary, "-D" "dir", then Patroni's options (port, listen address, ...).
    opts=$(sed -e 's/^[^ ]* "-D" "[^"]*" //' "$dir/postmaster.opts")
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -o "$opts" -l "$PG_HOME/log/node$n-manual.log" -w -t 60 start >/dev/null
  fi
  as_pg rm -f "$PG_HOME/run/stopped-primary"
  patronictl_ resume --wait >/dev/null
  wait_for 150 "node$n did not take writes again" node_accepts_writes "$n"
}

switchover_to() { # node: a planned, clean change of primary (no acknowledged write can be lost)
  local n=$1 leader
  leader=$(leader_node)
  [ "$leader" = "$n" ] && return 0
  wait_cluster_ready 300
  # In synchronous mode only a synchronous standby may take over: make every standby synchronous for
  # the moment of the switchover, then go back to one.
  if ! members sync | grep -qx "node$n"; then
    patronictl_ edit-config --force --quiet -s synchronous_node_count=2 >/dev/null
    wait_for 300 "node$n did not become a synchronous standby" node_is_sync "$n"
  fi
  patronictl_ switchover --leader "node$leader" --candidate "node$n" --force >/dev/null
  wait_for 300 "node$n did not become the primary" node_leads "$n"
  patronictl_ edit-config --force --quiet -s synchronous_node_count=1 >/dev/null
  wait_cluster_ready 300
}
node_is_sync() { members sync | grep -qx "node$1"; }
node_leads() { [ "$(leader_node)" = "$1" ] && node_accepts_writes "$1"; }

# Synchronous replication on or off (the failover drill compares write latency). "async" gives up the
# zero-loss promise while it lasts: never leave a cluster that way.
set_replication() { # sync|async
  local on
  case "$1" in sync) on=true ;; async) on=false ;; *) die "replication is sync or async" ;; esac
  patronictl_ edit-config --force --quiet -s "synchronous_mode=$on" -s "synchronous_mode_strict=$on" >/dev/null
  as_pg rm -f "$PG_HOME/patroni/dcs.yml.applied"  # the next 'up' applies the declared settings again
  wait_for 150 "synchronous replication did not turn $1" replication_is "$1"
}
replication_is() {
  local names; names=$(psql_node "$(leader_node)" -c "SHOW synchronous_standby_names" 2>/dev/null) || return 1
  if [ "$1" = sync ]; then [ -n "$names" ] && [ -n "$(members sync)" ] && cluster_ready; else [ -z "$names" ]; fi
}
