"""Test settings: the same real stack as `make run` (two standbys), separate Redis databases, short timers.

The test database is created on the primary and reaches the standbys by replication
(see core/routing/standby/base.py).
"""

import os

# The local stack's ports, as stack/stack.sh reads them; the standby aliases are nodes 2 and 3 (`make test`
# makes node 1 the primary first).
os.environ.setdefault("PG_STANDBY_BASE_PORT", "55433")
os.environ.setdefault("REDIS_PORT", "56379")
os.environ.setdefault(
    "REPLICA_DATABASE_URLS",
    f"postgres://postgres@127.0.0.1:{os.environ['PG_STANDBY_BASE_PORT']}/hmis,"
    f"postgres://postgres@127.0.0.1:{int(os.environ['PG_STANDBY_BASE_PORT']) + 1}/hmis",
)
os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:{os.environ['REDIS_PORT']}/10")
os.environ.setdefault("CELERY_BROKER_URL", f"redis://127.0.0.1:{os.environ['REDIS_PORT']}/11")
os.environ.setdefault("CELERY_RESULT_BACKEND", f"redis://127.0.0.1:{os.environ['REDIS_PORT']}/12")
os.environ.setdefault("REPLICA_BACKOFF_SECONDS", "1")
os.environ.setdefault("REPLICA_MAX_LAG_SECONDS", "5")
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
os.environ.setdefault(
    "FHIR_EXPORT_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".stack", "fhir-exports-test")
)
os.environ.setdefault("DJANGO_DEBUG", "true")  # plain http and the development key, as `make run`

from hmis.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# Tests follow each write to the views, whatever a projection declares (the worker uses these settings too).
PROJECTION_DECLARED_INTERVALS = False
PROJECTION_MIN_INTERVALS = {}
