from celery import shared_task

from core.audit import spool


@shared_task(name="hmis.audit.drain_spool", ignore_result=True, soft_time_limit=50, time_limit=60)
def drain_spool() -> int:
    """Move audit events parked in Redis (primary was down) into the table."""
    return spool.drain()
