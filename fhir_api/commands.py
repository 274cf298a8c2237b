"""Every write of the FHIR facade: the bulk exports' lifecycle (its resource creates go through the clinical
commands, fhir_api/writes.py)."""

import datetime
import shutil

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.commands import get_locked
from core.errors import Conflict
from fhir_api.models import BulkExport


def export_dir(key) -> "settings.FHIR_EXPORT_DIR":
    """Where an export's files go, named by its key (the UUID in its URLs)."""
    return settings.FHIR_EXPORT_DIR / str(key)


@transaction.atomic(using="default")
def export_request(
    *, level: str, types: list[str], since: datetime.datetime | None, requested_by, request_url: str, audit: dict
) -> BulkExport:
    return BulkExport.objects.using("default").create(
        level=level, types=types, since=since, requested_by=requested_by, request_url=request_url[:1000], audit=audit
    )


@transaction.atomic(using="default")
def export_start(*, export_id, rows_total: int) -> BulkExport | None:
    """The worker begins (None when the export was cancelled before it started)."""
    export = get_locked(BulkExport, export_id)
    if export.status != BulkExport.Status.QUEUED:
        return None
    export.status, export.started_at, export.rows_total = BulkExport.Status.RUNNING, timezone.now(), rows_total
    export.save(using="default", update_fields=["status", "started_at", "rows_total"])
    return export


@transaction.atomic(using="default")
def export_progress(*, export_id, rows_done: int, current_type: str, output: list[dict]) -> bool:
    """Record how far the worker got; False when the export was cancelled meanwhile (the worker stops)."""
    export = get_locked(BulkExport, export_id)
    if export.status != BulkExport.Status.RUNNING:
        return False
    export.rows_done, export.current_type, export.output = rows_done, current_type, output
    export.save(using="default", update_fields=["rows_done", "current_type", "output"])
    return True


@transaction.atomic(using="default")
def export_finish(*, export_id, output: list[dict], error: str = "") -> BulkExport:
    export = get_locked(BulkExport, export_id)
    if export.status != BulkExport.Status.RUNNING:
        return export
    now = timezone.now()
    export.status = BulkExport.Status.FAILED if error else BulkExport.Status.DONE
    export.output, export.error, export.finished_at = output, error[:2000], now
    export.expires_at = now + datetime.timedelta(hours=settings.FHIR_EXPORT_KEEP_HOURS)
    if not error:
        export.rows_done = export.rows_total
    export.save(using="default")
    if error:
        transaction.on_commit(lambda: shutil.rmtree(export_dir(export.key), ignore_errors=True), using="default")
    return export


@transaction.atomic(using="default")
def export_cancel(*, export_id) -> BulkExport:
    """Stop an export (the worker notices at its next chunk) or withdraw a finished one: its files go."""
    export = get_locked(BulkExport, export_id)
    if export.status in (BulkExport.Status.CANCELLED, BulkExport.Status.EXPIRED):
        raise Conflict(f"This export is already {export.get_status_display().lower()}.")
    export.status, export.finished_at = BulkExport.Status.CANCELLED, export.finished_at or timezone.now()
    export.save(using="default", update_fields=["status", "finished_at"])
    transaction.on_commit(lambda: shutil.rmtree(export_dir(export.key), ignore_errors=True), using="default")
    return export


@transaction.atomic(using="default")
def exports_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of exports past their time (beat, hourly); the rows stay, marked expired."""
    now = now or timezone.now()
    due = dict(
        BulkExport.objects.using("default")
        .select_for_update()
        .filter(status=BulkExport.Status.DONE, expires_at__lte=now)
        .values_list("pk", "key")
    )
    BulkExport.objects.using("default").filter(pk__in=list(due)).update(status=BulkExport.Status.EXPIRED)
    for key in due.values():
        transaction.on_commit(lambda k=key: shutil.rmtree(export_dir(k), ignore_errors=True), using="default")
    return len(due)
