"""HMIS settings: everything comes from the environment (django-environ); defaults fit the local stack."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    # Production (DEBUG off) never runs on the key from the repository, nor on a short one.
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a long random string (50+ characters) when DEBUG is off.")

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
    "axes",
    "csp",
    "hmis",
    "clinical",
    "billing",
    "pharmacy",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hmis.audit.middleware.AuditMiddleware",
    "hmis.routing.middleware.RoutingMiddleware",
    "hmis.middleware.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "hmis.user_cache.AuthenticationMiddleware",
    "hmis.middleware.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hmis.middleware.DatabaseErrorMiddleware",
    # Last: it answers 403 to a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
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
            # {% url %} with answers kept per process (hmis/templatetags/cached_url.py)
            "builtins": ["hmis.templatetags.cached_url"],
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
# history views hold three years (reports/projections/window.py); stock levels need not follow each dispense
# within half a second (the dispense itself reads live stock), and under a dispensing pharmacy their
# refresh (~0.45 s at 20k batches) would otherwise run twice a second.
_SLOW_PROJECTIONS = {
    "population_health": "60",
    "ar_ledger": "60",
    "revenue_history": "60",
    "diagnosis_history": "60",
    "pharmacy_stock": "5",
}
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
    # two runs; each projection says which one reconciles it (Projection.reconcile, reports/reconcile.py)
    "reconcile-projections": {
        "task": "reports.reconcile_projections",
        "schedule": crontab(minute=17),
        "kwargs": {"scope": "hourly"},
    },
    "reconcile-history": {
        "task": "reports.reconcile_projections",
        "schedule": crontab(hour=2, minute=47),
        "kwargs": {"scope": "nightly"},
    },
    "prune-outbox": {"task": "reports.prune_outbox", "schedule": crontab(hour=3, minute=30)},
    "drain-audit-spool": {"task": "hmis.audit.drain_spool", "schedule": 30.0},
    "purge-idempotency-keys": {"task": "hmis.api.purge_idempotency_keys", "schedule": crontab(minute=41)},
}
WORKER_HEARTBEAT_KEY = "hmis:worker:heartbeat"

# --- Auth, i18n, static ---
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out username/IP before checking the password
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout: after AXES_FAILURE_LIMIT failed sign-ins for one username from one IP, that pair is refused
# for AXES_COOLOFF_MINUTES (django-axes; attempts are rows on the primary).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15.0) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Sessions: gone when the browser closes, after SESSION_IDLE_SECONDS without a request, and in any case
# after SESSION_COOKIE_AGE (one shift). See hmis.middleware.IdleSessionMiddleware.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_COOKIE_HTTPONLY = True
# Kept in the database, read from Redis (hmis/sessions.py); a cached copy lives at most this long.
SESSION_ENGINE = "hmis.sessions"
SESSION_CACHE_SECONDS = env.int("SESSION_CACHE_SECONDS", default=300)
# How long a web process may reuse a signed-in user or an API client, with their permissions
# (hmis/user_cache.py, hmis/api/auth.py).
USER_CACHE_SECONDS = env.float("USER_CACHE_SECONDS", default=10.0)
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

# --- HTTPS and browser protections. Production (DEBUG off) turns them all on; `make run` and tests are http. ---
SECURE = env.bool("DJANGO_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp), everywhere: scripts and styles only from our own static files
# (no inline scripts or handlers: see static/js/). Inline style attributes stay allowed: the admin and
# Swagger UI use them, and they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Bad input: a request body larger than this is refused with 400 before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

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
    "DEFAULT_SCHEMA_CLASS": "hmis.api.schema.HmisAutoSchema",
    "EXCEPTION_HANDLER": "hmis.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["hmis.api.throttling.PerClientThrottle"],
}
# Requests per API client (or signed-in user) and period; past it: 429 with Retry-After.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="600/min")
# Idempotency-Key: how long keys are kept, and how long a retry waits for the first request to finish.
IDEMPOTENCY_KEEP_HOURS = env.int("IDEMPOTENCY_KEEP_HOURS", default=48)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=10.0)
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
