from celery import shared_task

from core.api import idempotency


@shared_task(name="hmis.api.purge_idempotency_keys", ignore_result=True, soft_time_limit=240, time_limit=300)
def purge_idempotency_keys() -> int:
    return idempotency.purge()
