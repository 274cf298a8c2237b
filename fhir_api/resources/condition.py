"""Condition: the problem list (`pl-N`, one per problem) and encounter diagnoses (`dx-N`, as coded at a
visit). Both are ICD-10-CM."""

from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest

from clinical import queries
from fhir_api import codes, search
from fhir_api.resources.base import (
    Param,
    ResourceType,
    Source,
    compact,
    date_param,
    day,
    encounter_param,
    fixed_token,
    instant,
    nothing,
    patient_param,
    practitioner,
    reference,
)
from fhir_api.search import SearchError

PROBLEM, DIAGNOSIS = "problem-list-item", "encounter-diagnosis"
CATEGORY_DISPLAY = {PROBLEM: "Problem List Item", DIAGNOSIS: "Encounter Diagnosis"}
CLINICAL_STATUSES = ("active", "resolved")


def _code(queryset, values, modifier, context):
    combined = Q()
    for text in values:
        found = search.token(text)
        if found.system not in (None, codes.ICD10CM):
            continue
        combined |= Q(code_id__isnull=False) if found.code is None else Q(code_id=found.code.upper())
    return queryset.filter(combined) if combined else queryset.none()


def _clinical_status(resolved_q: Q) -> Param:
    def apply(queryset, values, modifier, context):
        wanted = {search.token(v).code for v in values}
        unknown = wanted - set(CLINICAL_STATUSES)
        if unknown:
            raise SearchError("clinical-status", f"Unknown clinical status {unknown.pop()!r}: active or resolved.")
        condition = Q(pk__in=[])
        if "active" in wanted:
            condition |= ~resolved_q
        if "resolved" in wanted:
            condition |= resolved_q
        return queryset.exclude(condition) if modifier == "not" else queryset.filter(condition)

    return Param("token", apply, "active | resolved.")


CODE = Param("token", _code, f"ICD-10-CM: {codes.ICD10CM}|I10 or I10.")


class Problems(Source):
    prefix = "pl"
    permission = "clinical.view_condition"
    params = {
        "patient": patient_param("patient_id"),
        "subject": patient_param("patient_id"),
        "code": CODE,
        "category": fixed_token(PROBLEM, "category", (PROBLEM, DIAGNOSIS)),
        "clinical-status": _clinical_status(Q(status="resolved")),
        "onset-date": date_param("onset-date", "onset", "Onset, with prefixes.", date_only=True),
        "recorded-date": date_param("recorded-date", "recorded_at", "When it was recorded, with prefixes."),
        "encounter": nothing("encounter", "The encounter a diagnosis was made in.", "reference"),
    }
    includes = {"patient": "Patient", "subject": "Patient"}

    def queryset(self):
        return queries.conditions().select_related("recorded_by")

    def updated_expression(self):
        return Greatest("recorded_at", Coalesce("last_diagnosed_at", "recorded_at"))

    def last_updated(self, condition):
        return max(filter(None, (condition.recorded_at, condition.last_diagnosed_at)))

    def references(self, condition, parameter):
        return [("Patient", str(condition.patient_id))] if parameter in ("patient", "subject") else []

    def resources(self, condition, context):
        resolved = condition.status == "resolved"
        return [
            _represent(
                self.make_id(condition.pk),
                PROBLEM,
                condition,
                resolved,
                condition.patient_id,
                onset=day(condition.onset),
                abatement=day(condition.resolved_on),
            )
        ]


class Diagnoses(Source):
    prefix = "dx"
    permission = "clinical.view_diagnosis"
    updated_field = "recorded_at"
    params = {
        "patient": patient_param("encounter__patient_id"),
        "subject": patient_param("encounter__patient_id"),
        "encounter": encounter_param("encounter_id"),
        "code": CODE,
        "category": fixed_token(DIAGNOSIS, "category", (PROBLEM, DIAGNOSIS)),
        "clinical-status": _clinical_status(Q(resolved_at__isnull=False)),
        "recorded-date": date_param("recorded-date", "recorded_at", "When it was recorded, with prefixes."),
        "onset-date": date_param("onset-date", "recorded_at", "Diagnoses: when they were made.", date_only=True),
    }
    includes = {"patient": "Patient", "subject": "Patient", "encounter": "Encounter"}

    def queryset(self):
        return queries.diagnoses().select_related("recorded_by")

    def updated_expression(self):
        return Coalesce("resolved_at", "recorded_at")

    def last_updated(self, diagnosis):
        return diagnosis.resolved_at or diagnosis.recorded_at

    def references(self, diagnosis, parameter):
        if parameter in ("patient", "subject"):
            return [("Patient", str(diagnosis.encounter.patient_id))]
        return [("Encounter", str(diagnosis.encounter_id))] if parameter == "encounter" else []

    def resources(self, diagnosis, context):
        found = _represent(
            self.make_id(diagnosis.pk),
            DIAGNOSIS,
            diagnosis,
            diagnosis.resolved_at is not None,
            diagnosis.encounter.patient_id,
            onset=instant(diagnosis.recorded_at),
            abatement=instant(diagnosis.resolved_at),
        )
        found["encounter"] = reference("Encounter", diagnosis.encounter_id)
        if diagnosis.is_primary:
            found["note"] = [{"text": "Primary diagnosis of the encounter."}]
        return [found]


def _represent(ident, category, row, resolved, patient_id, *, onset, abatement) -> dict:
    return compact(
        {
            "resourceType": "Condition",
            "id": ident,
            "clinicalStatus": codes.concept(codes.CONDITION_CLINICAL, "resolved" if resolved else "active"),
            "verificationStatus": codes.concept(codes.CONDITION_VERIFICATION, "confirmed"),
            "category": [codes.concept(codes.CONDITION_CATEGORY, category, CATEGORY_DISPLAY[category])],
            "code": {
                "coding": [codes.coding(codes.ICD10CM, row.code_id, row.description)],
                "text": row.description,
            },
            "subject": reference("Patient", patient_id),
            "onsetDateTime": onset,
            "abatementDateTime": abatement,
            "recordedDate": instant(row.recorded_at),
            "recorder": practitioner(row.recorded_by),
        }
    )


class ConditionType(ResourceType):
    name = "Condition"
    sources = (Problems(), Diagnoses())
    doc = "The problem list (`pl-N`) and encounter diagnoses (`dx-N`), ICD-10-CM."
