"""Encounter: a visit (outpatient, inpatient, emergency), its attending clinician and department."""

from django.db.models.functions import Coalesce

from clinical import queries
from clinical.models import Encounter
from fhir_api import codes
from fhir_api.resources.base import (
    ResourceType,
    Source,
    choice_param,
    compact,
    date_param,
    instant,
    patient_param,
    practitioner,
    reference,
)
from fhir_api.resources.directory import DEPARTMENT_PREFIX

CLASSES = {
    Encounter.Type.OUTPATIENT: ("AMB", "ambulatory"),
    Encounter.Type.INPATIENT: ("IMP", "inpatient encounter"),
    Encounter.Type.EMERGENCY: ("EMER", "emergency"),
}
STATUSES = {Encounter.Status.OPEN: "in-progress", Encounter.Status.CLOSED: "finished"}


class EncounterRows(Source):
    permission = "clinical.view_encounter"
    params = {
        "patient": patient_param("patient_id"),
        "subject": patient_param("patient_id"),
        "date": date_param("date", "started_at", "When the encounter started, with prefixes."),
        "status": choice_param(
            "status", "status", {v: k for k, v in STATUSES.items()}, "in-progress (open) | finished (closed)."
        ),
        "class": choice_param(
            "class", "type", {code: t for t, (code, _) in CLASSES.items()}, "AMB | IMP | EMER.", codes.ACT_CODE
        ),
    }
    includes = {"patient": "Patient", "subject": "Patient", "participant": "Practitioner", "location": "Location"}

    def queryset(self):
        return queries.encounters()

    def updated_expression(self):
        return Coalesce("ended_at", "started_at")

    def last_updated(self, encounter):
        return encounter.ended_at or encounter.started_at

    def resources(self, encounter, context):
        return [represent(encounter)]

    def references(self, encounter, parameter):
        return {
            "patient": [("Patient", str(encounter.patient_id))],
            "subject": [("Patient", str(encounter.patient_id))],
            "participant": [("Practitioner", str(encounter.attending_id))],
            "location": [("Location", f"{DEPARTMENT_PREFIX}-{encounter.department_id}")],
        }.get(parameter, [])


def represent(encounter) -> dict:
    code, display = CLASSES[encounter.type]
    return compact(
        {
            "resourceType": "Encounter",
            "id": str(encounter.pk),
            "status": STATUSES[encounter.status],
            "class": codes.coding(codes.ACT_CODE, code, display),
            "subject": reference("Patient", encounter.patient_id),
            "participant": [
                {
                    "type": [codes.concept(codes.PARTICIPATION_TYPE, "ATND", "attender")],
                    "individual": practitioner(encounter.attending),
                }
            ],
            "period": {"start": instant(encounter.started_at), "end": instant(encounter.ended_at)},
            "reasonCode": [{"text": encounter.reason}] if encounter.reason else [],
            "location": [
                {
                    "location": reference(
                        "Location", f"{DEPARTMENT_PREFIX}-{encounter.department_id}", encounter.department.name
                    )
                }
            ],
        }
    )


class EncounterType(ResourceType):
    name = "Encounter"
    sources = (EncounterRows(),)
    doc = "Visits: outpatient (AMB), inpatient (IMP), emergency (EMER)."
