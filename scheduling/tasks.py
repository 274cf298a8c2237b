"""Scheduling tasks: thin, named, idempotent, with time limits (beat runs them; hmis/settings/scheduling.py)."""

from celery import shared_task
from django.db import OperationalError

from scheduling import commands


@shared_task(
    name="scheduling.generate_slots",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def generate_slots(schedule_id: int | None = None) -> int:
    """Keep every schedule's slots generated up to the horizon (nightly); running it again makes none."""
    return commands.slots_generate(schedule_id=schedule_id)


@shared_task(
    name="scheduling.mark_no_shows",
    acks_late=True,
    soft_time_limit=100,
    time_limit=120,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def mark_no_shows() -> int:
    """Booked appointments nobody checked in by the end of their slot (and the grace period): no-shows."""
    return commands.appointments_mark_no_shows()


@shared_task(
    name="scheduling.close_queues",
    acks_late=True,
    soft_time_limit=100,
    time_limit=120,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def close_queues() -> int:
    """After midnight: nobody is left in yesterday's queues (the boards start the day empty)."""
    return commands.queues_close_day()
