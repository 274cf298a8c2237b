"""The audit trail's safety net: every row of a patient's data a request loads is accounted for.

Views record what they show (`trail.read`: a list, a record opened). Whatever else a request loads of a
patient's data (an admin list or search, a page re-rendered with a form error, an endpoint nobody thought
to audit) is recorded at the request's end: one event for each patient no other event of the request
names. Registered models report their loaded rows through `from_db` (core.audit.registry), so no view can
forget it; outside a request (tasks, management commands) nothing is noted.
"""

import logging
from collections import defaultdict

from django.db import DatabaseError, models

from core.audit import trail
from core.audit.models import AuditEvent

log = logging.getLogger("hmis.audit")

UNKNOWN = object()  # the patient could not be read off the row's loaded state: looked up at the end


def note(context, instance, patient) -> None:
    context.loaded.append((instance, patient))


def events(context) -> list[AuditEvent]:
    """The read events for loaded rows whose patients the request's other events do not name."""
    if not context.loaded:
        return []
    named = {e.patient_id for e in context.pending} | context.written
    found = _patients(context.loaded)
    per_patient: dict[int, list] = defaultdict(list)
    for instance, patient in found:
        if patient is not None and patient not in named:
            per_patient[patient].append(instance)
    made = []
    for patient, rows in per_patient.items():
        first = rows[0]
        action = AuditEvent.Action.VIEW if len(rows) == 1 else AuditEvent.Action.LIST
        made.append(
            trail.event(
                action, first._meta.label_lower, object_id=first.pk if len(rows) == 1 else "", patient_id=patient
            )
        )
    return made


def _patients(loaded) -> list[tuple[models.Model, int | None]]:
    """(row, patient id) for every loaded row: one query per model for those not known from loaded state."""
    from core.audit.registry import known_patient, patient_lookup

    # select_related fills a row's related objects after it is loaded: the path may be readable now.
    loaded = [(instance, known_patient(instance) if patient is UNKNOWN else patient) for instance, patient in loaded]
    missing: dict[tuple[type, str], list] = defaultdict(list)
    for instance, patient in loaded:
        if patient is UNKNOWN:
            missing[(instance._meta.concrete_model, instance._state.db or "default")].append(instance.pk)
    looked_up: dict[tuple[type, object], int | None] = {}
    for (model, alias), pks in missing.items():
        rows = model._base_manager.using(alias).filter(pk__in=pks).values_list("pk", patient_lookup(model))
        try:
            looked_up |= {(model, pk): patient for pk, patient in rows}
        except DatabaseError as exc:  # the server that served the rows went away: say so, never fail the request
            log.error("audit: patients of %d %s rows not looked up (%s)", len(pks), model._meta.label, exc)
    return [
        (instance, looked_up.get((instance._meta.concrete_model, instance.pk)) if patient is UNKNOWN else patient)
        for instance, patient in loaded
    ]
