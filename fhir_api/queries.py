"""Reads of the FHIR facade's own rows (its resources are read through the domain apps' queries)."""

from django.db.models import QuerySet

from fhir_api.models import BulkExport


def bulk_exports() -> QuerySet[BulkExport]:
    return BulkExport.objects.select_related("requested_by")


def bulk_export(*, key, user_id: int) -> BulkExport | None:
    """The user's own export; a status poll right after the kick-off may reach a standby before the row does:
    the router's read-your-writes sends it to the primary until then."""
    return bulk_exports().filter(key=key, requested_by_id=user_id).first()


def running_exports() -> QuerySet[BulkExport]:
    return bulk_exports().filter(status__in=[BulkExport.Status.QUEUED, BulkExport.Status.RUNNING])
