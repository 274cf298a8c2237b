"""HMIS settings shared by every environment: everything comes from the environment (django-environ), and
the defaults fit the local stack. Topics live in their own modules (databases, read side, security, API,
logging); `production` and `test` start from this one."""

from django.core.exceptions import ImproperlyConfigured

from hmis.settings.env import BASE_DIR, DEBUG, env

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    # Production (DEBUG off) never runs on the key from the repository, nor on a short one.
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY to a long random string (50+ characters) when DEBUG is off "
        "(developing? DJANGO_DEBUG=true, or copy .env.example to .env)."
    )

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
    "core",  # label "hmis": its tables and permissions keep the names they had (docs/decisions/0007)
    "clinical",
    "billing",
    "pharmacy",
    "inpatient",
    "scheduling",
    "reports",
    "chart",
    "fhir_api",
    "ops",
    "hmis",  # the project: role definitions
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.audit.middleware.AuditMiddleware",
    "core.routing.middleware.RoutingMiddleware",
    "core.middleware.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.user_cache.AuthenticationMiddleware",
    "core.middleware.IdleSessionMiddleware",
    "core.middleware.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DatabaseErrorMiddleware",
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
                "core.navigation.navigation",
            ],
            # {% url %} with answers kept per process (core/templatetags/cached_url.py)
            "builtins": ["core.templatetags.cached_url"],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
# The hospital's name, as FHIR's Organization/hospital and the CapabilityStatement give it.
HOSPITAL_NAME = env("HOSPITAL_NAME", default="HMIS General Hospital")
# Printed invoices and receipts: the address (lines separated by commas), the logo (a static file's path,
# or a same-origin URL: the Content Security Policy allows images from 'self' only), the currency (ISO 4217).
HOSPITAL_ADDRESS = env.list("HOSPITAL_ADDRESS", default=["1 Hospital Road", "Springfield"])
HOSPITAL_LOGO = env("HOSPITAL_LOGO", default="img/hospital-logo.svg")
HOSPITAL_CURRENCY = env("HOSPITAL_CURRENCY", default="USD")
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


from hmis.settings.api import *  # noqa: E402, F403
from hmis.settings.databases import *  # noqa: E402, F403
from hmis.settings.logging import *  # noqa: E402, F403
from hmis.settings.observability import *  # noqa: E402, F403
from hmis.settings.read_side import *  # noqa: E402, F403
from hmis.settings.scheduling import *  # noqa: E402, F403
from hmis.settings.security import *  # noqa: E402, F403
