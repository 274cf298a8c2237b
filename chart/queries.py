"""The patient chart's read model: one patient's record composed from the clinical, pharmacy and billing
queries (each reads where the router sends it)."""

from billing.queries import patient_open_balance
from clinical import queries as clinical
from pharmacy.queries import current_medications
from scheduling.queries import upcoming_appointments

RECENT_ENCOUNTERS = 10


def patient_summary(*, patient_id: int) -> dict | None:
    """Demographics, the problem list, allergies and what is known about them, current medications (with
    their state: prescribed, partly dispensed, dispensed), last encounters, open balance, upcoming
    appointments."""
    patient = clinical.patients().filter(pk=patient_id).first()
    if patient is None:
        return None
    return {
        "patient": patient,
        "problems": list(clinical.problem_list(patient_id=patient_id)),
        "allergy_status": clinical.allergy_status(patient_id=patient_id),
        "allergies": list(clinical.allergies().filter(patient_id=patient_id)),
        "current_medications": current_medications(patient_id=patient_id),
        "recent_encounters": list(clinical.encounters().filter(patient_id=patient_id)[:RECENT_ENCOUNTERS]),
        "open_balance": patient_open_balance(patient_id=patient_id),
        "upcoming_appointments": upcoming_appointments(patient_id=patient_id),
    }


def discharge_summary(*, admission_id: int) -> dict | None:
    """What the patient leaves with: the stay (dates, beds), this encounter's diagnoses, the problem list
    (unresolved diagnoses from every encounter), medications on discharge, allergies, the follow-up."""
    from inpatient.queries import admissions, bed_history

    admission = admissions().filter(pk=admission_id).first()
    if admission is None:
        return None
    patient_id = admission.patient_id
    stay = list(clinical.diagnoses().filter(encounter_id=admission.encounter_id).order_by("-is_primary", "recorded_at"))
    problems = [
        d
        for d in clinical.diagnoses()
        .filter(encounter__patient_id=patient_id, resolved_at__isnull=True)
        .order_by("code")
        if d.encounter_id != admission.encounter_id
    ]
    return {
        "admission": admission,
        "patient": admission.patient,
        "encounter": admission.encounter,
        "beds": [a for a in bed_history(admission_id=admission.pk) if not a.cancelled],
        "diagnoses": stay,
        "problems": problems,
        "medications": current_medications(patient_id=patient_id),
        "allergies": list(clinical.allergies().filter(patient_id=patient_id)),
    }
