"""The patient chart's read model: one patient's record composed from the clinical, pharmacy and billing
queries (each reads where the router sends it)."""

from billing.queries import patient_open_balance
from clinical import queries as clinical
from pharmacy.queries import current_medications

RECENT_ENCOUNTERS = 10


def patient_summary(*, patient_id: int) -> dict | None:
    """Demographics, active diagnoses, allergies, current medications, last encounters, open balance."""
    patient = clinical.patients().filter(pk=patient_id).first()
    if patient is None:
        return None
    return {
        "patient": patient,
        "active_diagnoses": list(
            clinical.diagnoses()
            .filter(encounter__patient_id=patient_id, resolved_at__isnull=True)
            .order_by("-recorded_at")
        ),
        "allergies": list(clinical.allergies().filter(patient_id=patient_id)),
        "current_medications": current_medications(patient_id=patient_id),
        "recent_encounters": list(clinical.encounters().filter(patient_id=patient_id)[:RECENT_ENCOUNTERS]),
        "open_balance": patient_open_balance(patient_id=patient_id),
    }
