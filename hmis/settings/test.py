"""Test settings: the same real stack as `make run` (two standbys), separate Redis databases, short timers.

The test database is created on the primary and reaches the standbys by replication
(see core/routing/standby/base.py).
"""

import os

os.environ.setdefault(
    "REPLICA_DATABASE_URLS",
    "postgres://postgres@127.0.0.1:55433/hmis,postgres://postgres@127.0.0.1:55434/hmis",
)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:56379/10")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:56379/11")
os.environ.setdefault("CELERY_RESULT_BACKEND", "redis://127.0.0.1:56379/12")
os.environ.setdefault("REPLICA_BACKOFF_SECONDS", "1")
os.environ.setdefault("REPLICA_MAX_LAG_SECONDS", "5")
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
os.environ.setdefault("DJANGO_DEBUG", "true")  # plain http and the development key, as `make run`

from hmis.settings.base import *  # noqa: F403

DATABASES["default"]["ENGINE"] = "core.routing.primary"  # noqa: F405 (its flush may empty the audit table)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Tests follow each write to the views, whatever a projection declares (the worker uses these settings too).
PROJECTION_DECLARED_INTERVALS = False
PROJECTION_MIN_INTERVALS = {}
