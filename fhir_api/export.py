"""Bulk Data `$export` (FHIR Bulk Data Access IG): what runs in the worker.

Each resource type's sources are read in key order, `FHIR_EXPORT_CHUNK` rows at a time (a short keyset
query each, on a standby: no long snapshot that replay would cancel, constant memory whatever the size),
mapped with the same declarations as read and search, and appended to one NDJSON file per type. Progress
(rows read of rows to read) is recorded after every chunk; a cancelled export stops at its next chunk.
Every patient whose data leaves is recorded in the audit trail once, as an export by whoever asked.
"""

import json
import logging

from django.contrib.auth import get_user_model

from core.audit.models import AuditEvent
from fhir_api import commands
from fhir_api.models import BulkExport
from fhir_api.resources import TYPES
from fhir_api.resources.base import Context, with_meta

log = logging.getLogger("hmis.fhir")

# Patient level: the types of the patient compartment we serve (system level adds the directory types).
PATIENT_TYPES = ("Patient", "Encounter", "Condition", "AllergyIntolerance", "Observation", "MedicationRequest")
PATIENT_TYPES += ("MedicationDispense",)
AUDIT_FLUSH = 1000


def _criteria(export: BulkExport) -> list:
    return [("_lastUpdated", [f"ge{export.since.isoformat()}"], "")] if export.since else []


def _patient_of(resource: dict) -> int | None:
    if resource["resourceType"] == "Patient":
        return int(resource["id"])
    reference = (resource.get("subject") or resource.get("patient") or {}).get("reference", "")
    return int(reference.split("/", 1)[1]) if reference.startswith("Patient/") else None


class _Audit:
    """One EXPORT event per patient whose resources were written, inserted every AUDIT_FLUSH patients."""

    def __init__(self, stamp: dict):
        self.stamp, self.seen, self.pending = stamp, set(), []

    def note(self, patient_id: int | None) -> None:
        if patient_id is not None and patient_id not in self.seen:
            self.seen.add(patient_id)
            self.pending.append(patient_id)
            if len(self.pending) >= AUDIT_FLUSH:
                self.flush()

    def flush(self) -> None:
        events = [
            AuditEvent(**self.stamp, action=AuditEvent.Action.EXPORT, patient_id=p, object_id=str(p))
            for p in self.pending
        ]
        AuditEvent.objects.using("default").bulk_create(events)
        self.pending.clear()


def run(export_id) -> str:
    export = BulkExport.objects.using("default").select_related("requested_by").get(pk=export_id)
    user = get_user_model().objects.using("default").get(pk=export.requested_by_id)
    criteria = _criteria(export)
    counted = [
        (name, source, source.count(criteria, Context()))
        for name in export.types
        for source in TYPES[name].sources
        if user.has_perm(source.permission)  # a type the asker may not read: left out, as in search
    ]
    plan = [(name, source) for name, source, rows in counted if rows]
    total = sum(rows for _, _, rows in counted)
    if commands.export_start(export_id=export.pk, rows_total=total) is None:
        return "cancelled before it started"
    folder = commands.export_dir(export.key)
    audit = _Audit({**export.audit, "model": "fhir.bulk-export", "detail": f"$export {export.key}"})
    output: dict[str, dict] = {}
    done = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, source in plan:
            entry = output.setdefault(name, {"type": name, "file": f"{name}.ndjson", "count": 0})
            with (folder / entry["file"]).open("a", encoding="utf-8") as out:
                after = None
                while True:
                    context = Context()
                    rows = source.fetch(criteria, context, after, _chunk())
                    for row in rows:
                        for resource in source.resources(row, context):
                            out.write(json.dumps(with_meta(resource, source.last_updated(row)), ensure_ascii=False))
                            out.write("\n")
                            entry["count"] += 1
                            audit.note(_patient_of(resource))
                    done += len(rows)
                    if not rows or len(rows) < _chunk():
                        break
                    after = (rows[-1].pk, False)
                    if not commands.export_progress(
                        export_id=export.pk, rows_done=done, current_type=name, output=list(output.values())
                    ):
                        return "cancelled"
        audit.flush()
    except Exception as exc:
        audit.flush()
        log.exception("FHIR export %s failed", export.pk)
        commands.export_finish(export_id=export.pk, output=[], error=f"{type(exc).__name__}: {exc}")
        raise
    commands.export_finish(export_id=export.pk, output=[o for o in output.values() if o["count"]])
    return f"{sum(o['count'] for o in output.values())} resources"


def _chunk() -> int:
    from django.conf import settings

    return settings.FHIR_EXPORT_CHUNK
