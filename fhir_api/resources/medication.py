"""Medication (the formulary), MedicationRequest (prescriptions) and MedicationDispense (what the pharmacy
handed over)."""

from django.db.models import Q
from django.db.models.functions import Coalesce

from fhir_api import codes, search
from fhir_api.resources.base import (
    Param,
    ResourceType,
    Source,
    compact,
    date_param,
    encounter_param,
    fixed_time,
    instant,
    patient_param,
    practitioner,
    reference,
)
from fhir_api.resources.directory import EPOCH
from pharmacy import queries
from pharmacy.models import Prescription

# A prescription's state -> MedicationRequest.status: an order stays active until it is fully dispensed.
REQUEST_STATUS = {
    Prescription.Status.ACTIVE: "active",
    Prescription.Status.PARTIALLY_DISPENSED: "active",
    Prescription.Status.DISPENSED: "completed",
    Prescription.Status.CANCELLED: "cancelled",
    Prescription.Status.STOPPED: "stopped",
}


def _drug_code(lookup: str) -> Param:
    def apply(queryset, values, modifier, context):
        combined = Q()
        for text in values:
            found = search.token(text)
            if found.system in (None, codes.DRUG):
                combined |= Q(**{f"{lookup}__isnull": False}) if found.code is None else Q(**{lookup: found.code})
        return queryset.filter(combined) if combined else queryset.none()

    return Param("token", apply, f"The formulary code: {codes.DRUG}|AMOX500.")


def _request_status(queryset, values, modifier, context):
    wanted = {search.token(v).code for v in values}
    known = set(REQUEST_STATUS.values())
    unknown = wanted - known
    if unknown:
        raise search.SearchError("status", f"Unknown status {unknown.pop()!r}: use one of {', '.join(sorted(known))}.")
    ours = [mine for mine, theirs in REQUEST_STATUS.items() if theirs in wanted]
    return queryset.exclude(status__in=ours) if modifier == "not" else queryset.filter(status__in=ours)


def _medication_reference(lookup: str) -> Param:
    def apply(queryset, values, modifier, context):
        ids = search.integer_ids("medication", [search.reference_id("medication", v, "Medication") for v in values])
        return queryset.filter(**{f"{lookup}__in": ids})

    return Param("reference", apply, "The Medication (formulary drug).")


def medication_reference(drug) -> dict:
    return reference("Medication", drug.pk, str(drug))


class Drugs(Source):
    permission = "pharmacy.view_drug"
    params = {
        "code": _drug_code("code"),
        "status": Param(
            "token",
            lambda q, values, m, c: q.filter(active__in=[v == "active" for v in values]),
            "active | inactive.",
        ),
    }

    def queryset(self):
        return queries.drugs()

    def updated_expression(self):
        return fixed_time(EPOCH)

    def last_updated(self, drug):
        return EPOCH

    def resources(self, drug, context):
        return [
            {
                "resourceType": "Medication",
                "id": str(drug.pk),
                "code": {"coding": [codes.coding(codes.DRUG, drug.code, str(drug))], "text": str(drug)},
                "status": "active" if drug.active else "inactive",
                "form": {"text": drug.get_form_display()},
                "ingredient": [{"itemCodeableConcept": {"text": name}, "isActive": True} for name in drug.ingredients],
            }
        ]


class MedicationType(ResourceType):
    name = "Medication"
    sources = (Drugs(),)
    doc = "The formulary."


class Prescriptions(Source):
    permission = "pharmacy.view_prescription"
    params = {
        "patient": patient_param("encounter__patient_id"),
        "subject": patient_param("encounter__patient_id"),
        "encounter": encounter_param("encounter_id"),
        "status": Param("token", _request_status, "active | completed | cancelled | stopped."),
        "intent": Param("token", lambda q, values, m, c: q if "order" in values else q.none(), "order."),
        "authoredon": date_param("authoredon", "prescribed_at", "When it was prescribed, with prefixes."),
        "code": _drug_code("drug__code"),
        "medication": _medication_reference("drug_id"),
    }
    includes = {"patient": "Patient", "subject": "Patient", "encounter": "Encounter", "medication": "Medication"}
    includes |= {"requester": "Practitioner"}

    def queryset(self):
        return queries.prescriptions().select_related("ended_by")

    def updated_expression(self):
        return Coalesce("ended_at", "prescribed_at")

    def last_updated(self, prescription):
        return prescription.ended_at or prescription.prescribed_at

    def references(self, prescription, parameter):
        return {
            "patient": [("Patient", str(prescription.encounter.patient_id))],
            "subject": [("Patient", str(prescription.encounter.patient_id))],
            "encounter": [("Encounter", str(prescription.encounter_id))],
            "medication": [("Medication", str(prescription.drug_id))],
            "requester": [("Practitioner", str(prescription.prescriber_id))],
        }.get(parameter, [])

    def resources(self, prescription, context):
        drug = prescription.drug
        return [
            compact(
                {
                    "resourceType": "MedicationRequest",
                    "id": str(prescription.pk),
                    "status": REQUEST_STATUS[prescription.status],
                    "statusReason": {"text": prescription.end_reason} if prescription.end_reason else None,
                    "intent": "order",
                    "medicationReference": medication_reference(drug),
                    "subject": reference("Patient", prescription.encounter.patient_id),
                    "encounter": reference("Encounter", prescription.encounter_id),
                    "authoredOn": instant(prescription.prescribed_at),
                    "requester": practitioner(prescription.prescriber),
                    "note": [{"text": prescription.notes}] if prescription.notes else [],
                    "dosageInstruction": [{"text": _dosage(prescription)}],
                    "dispenseRequest": {
                        "quantity": {"value": prescription.quantity, "unit": drug.unit},
                        "expectedSupplyDuration": {
                            "value": prescription.duration_days,
                            "unit": "days",
                            "system": codes.UCUM,
                            "code": "d",
                        },
                    },
                }
            )
        ]


def _dosage(prescription) -> str:
    return f"{prescription.dose} {prescription.frequency} for {prescription.duration_days} days"


class MedicationRequestType(ResourceType):
    name = "MedicationRequest"
    sources = (Prescriptions(),)
    doc = "Prescriptions: active until fully dispensed, then completed; stopped and cancelled ones too."


class Dispenses(Source):
    permission = "pharmacy.view_dispense"
    updated_field = "dispensed_at"
    params = {
        "patient": patient_param("prescription__encounter__patient_id"),
        "subject": patient_param("prescription__encounter__patient_id"),
        "prescription": Param(
            "reference",
            lambda q, values, m, c: q.filter(
                prescription_id__in=search.integer_ids(
                    "prescription",
                    [search.reference_id("prescription", v, "MedicationRequest") for v in values],
                )
            ),
            "The MedicationRequest it fills.",
        ),
        "status": Param("token", lambda q, values, m, c: q if "completed" in values else q.none(), "completed."),
        "whenhandedover": date_param("whenhandedover", "dispensed_at", "When it was handed over, with prefixes."),
        "code": _drug_code("prescription__drug__code"),
        "medication": _medication_reference("prescription__drug_id"),
    }
    includes = {"patient": "Patient", "prescription": "MedicationRequest", "medication": "Medication"}

    def queryset(self):
        return queries.dispenses().prefetch_related(None).select_related("dispensed_by")

    def references(self, dispense, parameter):
        prescription = dispense.prescription
        return {
            "patient": [("Patient", str(prescription.encounter.patient_id))],
            "subject": [("Patient", str(prescription.encounter.patient_id))],
            "prescription": [("MedicationRequest", str(prescription.pk))],
            "medication": [("Medication", str(prescription.drug_id))],
        }.get(parameter, [])

    def resources(self, dispense, context):
        prescription = dispense.prescription
        return [
            compact(
                {
                    "resourceType": "MedicationDispense",
                    "id": str(dispense.pk),
                    "status": "completed",
                    "medicationReference": medication_reference(prescription.drug),
                    "subject": reference("Patient", prescription.encounter.patient_id),
                    "context": reference("Encounter", prescription.encounter_id),
                    "performer": [{"actor": practitioner(dispense.dispensed_by)}] if dispense.dispensed_by else [],
                    "authorizingPrescription": [reference("MedicationRequest", prescription.pk)],
                    "quantity": {"value": dispense.quantity, "unit": prescription.drug.unit},
                    "whenHandedOver": instant(dispense.dispensed_at),
                    "note": [{"text": f"Dispensed despite a safety warning: {dispense.override_reason}"}]
                    if dispense.override_reason
                    else [],
                }
            )
        ]


class MedicationDispenseType(ResourceType):
    name = "MedicationDispense"
    sources = (Dispenses(),)
    doc = "What the pharmacy handed over, against which prescription."
