"""Projection tasks: thin, named, idempotent, with time limits. Late acks: a killed worker's task reruns."""

from celery import shared_task
from django.db import OperationalError

from core.events.outbox import enqueue_refresh, refresh_started
from reports.engine import reconcile, refresh


@shared_task(
    name="reports.refresh_projection",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def refresh_projection(name: str, force: bool = False) -> dict:
    refresh_started(name)
    return refresh.refresh(name, force=force, later=enqueue_refresh)


@shared_task(name="reports.sweep_projections", soft_time_limit=50, time_limit=60, ignore_result=True)
def sweep_projections() -> dict:
    return refresh.sweep(enqueue=enqueue_refresh)


@shared_task(name="reports.reage_summaries", soft_time_limit=240, time_limit=300)
def reage_summaries() -> dict:
    """Just after midnight: refresh or rebuild what the calendar moves (each projection's `calendar`)."""
    return refresh.at_midnight()


@shared_task(name="reports.reconcile_projections", soft_time_limit=540, time_limit=600)
def reconcile_projections(scope: str | None = None) -> list[dict]:
    """scope: "hourly", "nightly" (reports.projections.base HOURLY, NIGHTLY) or None: every projection."""
    return [run.as_dict() for run in reconcile.reconcile_all(repair=True, scope=scope)]


@shared_task(name="reports.prune_outbox", soft_time_limit=240, time_limit=300)
def prune_outbox(keep_days: int = 1) -> int:
    return refresh.prune_outbox(keep_days=keep_days)
