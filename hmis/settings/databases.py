"""Databases: one primary (`default`) for commands, zero or more hot standbys for queries."""

from hmis.settings.env import BASE_DIR, env

DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=2)


def _database(url: str, **extra) -> dict:
    config = env.db_url_config(url)
    config.setdefault("OPTIONS", {})["connect_timeout"] = DB_CONNECT_TIMEOUT
    config["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    config.update(extra)
    return config


# The local stack's nodes (stack/stack.sh reads the same variables): the defaults follow a stack moved to
# other ports. Node 1 on PG_PRIMARY_PORT, nodes 2 and 3 from PG_STANDBY_BASE_PORT, Patroni's REST APIs
# from PATRONI_REST_BASE_PORT (node 1's port + 576 unless set).
_NODE_PORTS = [env.int("PG_PRIMARY_PORT", default=55432)]
_NODE_PORTS += [env.int("PG_STANDBY_BASE_PORT", default=55433) + i for i in (0, 1)]
_REST_BASE_PORT = env.int("PATRONI_REST_BASE_PORT", default=_NODE_PORTS[0] + 576)

# The primary is whichever node Patroni made primary: DATABASE_URL names every node, and libpq connects to
# the one that takes writes (target_session_attrs=read-write). The backend follows failovers
# (core/routing/primary/). Standbys: list every node; the router reads only from those in recovery.
_NODES = ",".join(f"127.0.0.1:{port}" for port in _NODE_PORTS)
DATABASES = {
    "default": _database(
        env("DATABASE_URL", default=f"postgres://postgres@{_NODES}/hmis?target_session_attrs=read-write"),
        ENGINE="core.routing.primary",
    )
}
_replica_urls = env.list(
    "REPLICA_DATABASE_URLS",
    default=[f"postgres://postgres@127.0.0.1:{port}/hmis" for port in _NODE_PORTS[1:] + _NODE_PORTS[:1]],
)
for _index, _url in enumerate(u for u in _replica_urls if u):
    # Standbys use a backend that knows they are read-only copies (see core/routing/standby/).
    DATABASES["replica" if _index == 0 else f"replica_{_index + 1}"] = _database(
        _url, ENGINE="core.routing.standby", TEST={"DEPENDENCIES": ["default"]}
    )
# The roles web and worker run as (core/db_roles.py): granted rows, owning nothing, append-only on the
# audit table. DATABASE_USER (and DATABASE_PASSWORD) connect every alias as another role than the URLs
# name: `make run` and the test worker run as the app role while `migrate` keeps the owner.
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="hmis_app")
DATABASE_PROJECTOR_ROLE = env("DATABASE_PROJECTOR_ROLE", default="hmis_projector")
if env("DATABASE_USER", default=""):
    for _config in DATABASES.values():
        _config["USER"] = env("DATABASE_USER")
        _config["PASSWORD"] = env("DATABASE_PASSWORD", default="")

DATABASE_ROUTERS = ["core.routing.router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Routing: a standby lagging more than this, or unreachable, is skipped for REPLICA_BACKOFF_SECONDS.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=10.0)
REPLICA_BACKOFF_SECONDS = env.float("REPLICA_BACKOFF_SECONDS", default=5.0)
REPLICA_HEALTH_TTL_SECONDS = env.float("REPLICA_HEALTH_TTL_SECONDS", default=1.0)
# Zero loss: a transaction on the primary starts only when a synchronous standby can confirm its commit,
# waiting up to DB_SYNC_WAIT_SECONDS for one (then 503, nothing saved); a standby seen is trusted this long.
DB_REQUIRE_SYNC_STANDBY = env.bool("DB_REQUIRE_SYNC_STANDBY", default=True)
DB_SYNC_WAIT_SECONDS = env.float("DB_SYNC_WAIT_SECONDS", default=5.0)
DB_SYNC_CHECK_SECONDS = env.float("DB_SYNC_CHECK_SECONDS", default=1.0)
# Patroni's REST APIs (cluster members and roles for /healthz); backups: the commands the nightly task and
# the status run (argv, space separated; the backup's type is appended; empty: the database nodes take the
# backups themselves), and how long the status keeps an answer.
PATRONI_URLS = env.list("PATRONI_URLS", default=[f"http://127.0.0.1:{_REST_BASE_PORT + i}" for i in range(3)])
BACKUP_COMMAND = env("BACKUP_COMMAND", default=f"{BASE_DIR}/stack/stack.sh backup").split()
BACKUP_INFO_COMMAND = env("BACKUP_INFO_COMMAND", default=f"{BASE_DIR}/stack/stack.sh backups --json").split()
BACKUP_STATUS_CACHE_SECONDS = env.int("BACKUP_STATUS_CACHE_SECONDS", default=60)
# How long the client's "you wrote up to this LSN" token lives (read-your-writes across requests).
READ_YOUR_WRITES_COOKIE_AGE = env.int("READ_YOUR_WRITES_COOKIE_AGE", default=300)
