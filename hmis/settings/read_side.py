"""Redis (cache, summaries), Celery, and how projections follow writes."""

from celery.schedules import crontab

from hmis.settings.env import env

_REDIS = f"redis://127.0.0.1:{env.int('REDIS_PORT', default=56379)}"  # the local stack's (stack/stack.sh)
REDIS_URL = env("REDIS_URL", default=f"{_REDIS}/0")
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

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=f"{_REDIS}/1")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=f"{_REDIS}/2")
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
# The projections whose refresh is costly declare a longer interval of their own (Projection.min_interval:
# the history views, the AR ledger, population health, stock); off, every projection follows every write.
PROJECTION_DECLARED_INTERVALS = env.bool("PROJECTION_DECLARED_INTERVALS", default=True)
# Per projection, over both (name=seconds,...).
PROJECTION_MIN_INTERVALS = {
    name: float(seconds) for name, seconds in env.dict("PROJECTION_MIN_INTERVALS", default={}).items()
}
# A Redis summary older than this (no confirmation of freshness) is passed over for the view.
PROJECTION_MAX_STALE_SECONDS = env.int("PROJECTION_MAX_STALE_SECONDS", default=120)
# Report answers computed from the views (a year of revenue, of diagnosis trends) kept in Redis per
# projection version (reports/queries/cache.py). Off only for the benchmark's before/after.
REPORT_ANSWER_CACHE = env.bool("REPORT_ANSWER_CACHE", default=True)
# The benchmark's "before CQRS" side (bench/hospital_day_run.py): reports computed live on the primary from
# the write tables with the projections' own SQL (reports/queries/live.py); no Redis summary answers. Never
# on in a deployment: a year of revenue then takes tens of seconds of the primary.
REPORTS_LIVE = env.bool("REPORTS_LIVE", default=False)
# Reports show a visible warning when their data is older than this.
REPORT_STALE_WARNING_SECONDS = env.int("REPORT_STALE_WARNING_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "hmis.ops.heartbeat", "schedule": 10.0},
    "sweep-projections": {"task": "reports.sweep_projections", "schedule": PROJECTION_SWEEP_SECONDS},
    "reage-summaries": {"task": "reports.reage_summaries", "schedule": crontab(hour=0, minute=1)},
    # two runs; each projection says which one reconciles it (Projection.reconcile, reports/engine/reconcile.py)
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
    # FHIR $export files past FHIR_EXPORT_KEEP_HOURS are deleted (their rows stay, marked expired).
    "expire-fhir-exports": {"task": "fhir.expire_exports", "schedule": crontab(minute=17)},
    # pgBackRest: a full backup on Sunday night, an incremental one the other nights (retention: stack/).
    "backup-full-weekly": {
        "task": "hmis.ops.backup",
        "schedule": crontab(hour=1, minute=30, day_of_week=0),
        "kwargs": {"kind": "full"},
    },
    "backup-incremental-nightly": {
        "task": "hmis.ops.backup",
        "schedule": crontab(hour=1, minute=30, day_of_week="1-6"),
        "kwargs": {"kind": "incr"},
    },
    # Hourly, idempotent: each occupied midnight (the hospital's) is charged once, soon after it passes.
    "charge-bed-days": {"task": "inpatient.charge_bed_days", "schedule": crontab(minute=20)},
}
WORKER_HEARTBEAT_KEY = "hmis:worker:heartbeat"
