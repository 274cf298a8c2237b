"""Operational tasks: the worker's heartbeat, and a probe of where a task's reads go."""

from celery import shared_task
from celery.signals import worker_ready
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


@shared_task(name="hmis.ops.heartbeat", ignore_result=True, soft_time_limit=20, time_limit=30)
def heartbeat() -> None:
    cache.set(settings.WORKER_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)


@worker_ready.connect(weak=False)
def _first_heartbeat(**kwargs):
    heartbeat()


@shared_task(name="hmis.ops.locate_row", soft_time_limit=20, time_limit=30)
def locate_row(model_label: str, pk: int) -> dict:
    """Read one row as any task would: which alias served it, and was the row there?

    Lets operators (and the tests) check that a task published after a write sees that write.
    """
    rows = apps.get_model(model_label).objects.filter(pk=pk)
    return {"alias": rows.db, "found": rows.exists()}


@shared_task(name="hmis.ops.backup", ignore_result=True, soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60)
def backup(kind: str = "incr") -> None:
    """The nightly (incremental) and weekly (full) pgBackRest backups scheduled by beat."""
    import logging

    from ops.cluster import run_backup

    logging.getLogger("hmis.ops").info("backup finished: %s", run_backup(kind))
