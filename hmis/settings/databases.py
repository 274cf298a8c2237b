"""Databases: one primary (`default`) for commands, zero or more hot standbys for queries."""

from hmis.settings.env import env

DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=2)


def _database(url: str, **extra) -> dict:
    config = env.db_url_config(url)
    config.setdefault("OPTIONS", {})["connect_timeout"] = DB_CONNECT_TIMEOUT
    config["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    config.update(extra)
    return config


DATABASES = {"default": _database(env("DATABASE_URL", default="postgres://postgres@127.0.0.1:55432/hmis"))}
_replica_urls = env.list("REPLICA_DATABASE_URLS", default=["postgres://postgres@127.0.0.1:55433/hmis"])
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
# How long the client's "you wrote up to this LSN" token lives (read-your-writes across requests).
READ_YOUR_WRITES_COOKIE_AGE = env.int("READ_YOUR_WRITES_COOKIE_AGE", default=300)
