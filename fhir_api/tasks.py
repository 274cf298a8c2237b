"""FHIR tasks: thin, named, with time limits."""

from celery import shared_task

from fhir_api import commands, export


@shared_task(name="fhir.bulk_export", acks_late=False, soft_time_limit=3300, time_limit=3600)
def bulk_export(export_id: int) -> str:
    """Run one $export (not retried: a failed export says so, and the client asks again)."""
    return export.run(export_id)


@shared_task(name="fhir.expire_exports", soft_time_limit=240, time_limit=300)
def expire_exports() -> int:
    return commands.exports_expire()
