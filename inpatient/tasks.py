"""Inpatient tasks: thin, named, idempotent, with time limits."""

import datetime

from celery import shared_task
from django.db import OperationalError

from inpatient import commands


@shared_task(
    name="inpatient.charge_bed_days",
    acks_late=True,
    soft_time_limit=540,
    time_limit=600,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def charge_bed_days(since: str | None = None, through: str | None = None) -> int:
    """Charge the occupied midnights not charged yet (the last few nights unless told otherwise). Beat runs
    it every hour: each night is charged once, however often it runs and whatever the hospital's zone."""
    return commands.bed_days_charge(
        since=datetime.date.fromisoformat(since) if since else None,
        through=datetime.date.fromisoformat(through) if through else None,
    )
