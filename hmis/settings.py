"""HMIS settings: everything comes from the environment (django-environ); defaults fit the local stack."""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "hmis",
    "clinical",
    "billing",
    "pharmacy",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hmis.routing.middleware.RoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hmis.urls"
WSGI_APPLICATION = "hmis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reports.context_processors.visible_reports",
            ],
        },
    },
]

# --- Databases: one primary (`default`) for commands, zero or more hot standbys for queries. ---
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
    # Standbys use a backend that knows they are read-only copies (see hmis/routing/standby/).
    DATABASES["replica" if _index == 0 else f"replica_{_index + 1}"] = _database(
        _url, ENGINE="hmis.routing.standby", TEST={"DEPENDENCIES": ["default"]}
    )

DATABASE_ROUTERS = ["hmis.routing.router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Routing: a standby lagging more than this, or unreachable, is skipped for REPLICA_BACKOFF_SECONDS.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=10.0)
REPLICA_BACKOFF_SECONDS = env.float("REPLICA_BACKOFF_SECONDS", default=5.0)
REPLICA_HEALTH_TTL_SECONDS = env.float("REPLICA_HEALTH_TTL_SECONDS", default=1.0)
# How long the client's "you wrote up to this LSN" token lives (read-your-writes across requests).
READ_YOUR_WRITES_COOKIE_AGE = env.int("READ_YOUR_WRITES_COOKIE_AGE", default=300)

# --- Redis, cache, Celery ---
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:56379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:56379/1")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="redis://127.0.0.1:56379/2")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Above the longest task, so a task whose worker died is redelivered rather than run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600, "socket_connect_timeout": 1}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
# The post_save hooks that write outbox events. Off only for the benchmark's "hooks off" write-path run:
# with them off, reports stop following writes.
PROJECTION_HOOKS = env.bool("PROJECTION_HOOKS", default=True)
PROJECTION_SWEEP_SECONDS = env.float("PROJECTION_SWEEP_SECONDS", default=10.0)
# At most one refresh per projection this often: bursts of writes coalesce into a trailing refresh.
PROJECTION_MIN_INTERVAL_SECONDS = env.float("PROJECTION_MIN_INTERVAL_SECONDS", default=0.5)
# Per projection, for the ones whose refresh is costly and need not follow every write (name=seconds,...):
# population health rescans every encounter, diagnosis, HbA1c and blood pressure; the AR ledger and the
# history views hold three years (reports/projections/window.py).
_SLOW_PROJECTIONS = {"population_health": "60", "ar_ledger": "60", "revenue_history": "60", "diagnosis_history": "60"}
PROJECTION_MIN_INTERVALS = {
    name: float(seconds) for name, seconds in env.dict("PROJECTION_MIN_INTERVALS", default=_SLOW_PROJECTIONS).items()
}
# A Redis summary older than this (no confirmation of freshness) is passed over for the view.
PROJECTION_MAX_STALE_SECONDS = env.int("PROJECTION_MAX_STALE_SECONDS", default=120)
# Reports show a visible warning when their data is older than this.
REPORT_STALE_WARNING_SECONDS = env.int("REPORT_STALE_WARNING_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "hmis.ops.heartbeat", "schedule": 10.0},
    "sweep-projections": {"task": "reports.sweep_projections", "schedule": PROJECTION_SWEEP_SECONDS},
    "reage-summaries": {"task": "reports.reage_summaries", "schedule": crontab(hour=0, minute=1)},
    "reconcile-projections": {"task": "reports.reconcile_projections", "schedule": crontab(minute=17)},
    "prune-outbox": {"task": "reports.prune_outbox", "schedule": crontab(hour=3, minute=30)},
}
WORKER_HEARTBEAT_KEY = "hmis:worker:heartbeat"

# --- Auth, i18n, static ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hmis.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hmis.api.permissions.RoleModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hmis.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HMIS API",
    "DESCRIPTION": "Hospital management information system: integrators' API (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets ship with the app (drf-spectacular-sidecar): no CDN, hospitals run offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging: one structured line per request (see hmis/routing/middleware.py). ---
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Propagates to the root handler (so pytest's caplog sees it too).
        "hmis": {"level": LOG_LEVEL},
    },
}
