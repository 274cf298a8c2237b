"""Checks a prescription is put through before a drug reaches the patient."""

from clinical.models import Allergy
from pharmacy.models import Drug


def allergy_conflicts(*, patient_id: int, drug: Drug) -> list[str]:
    """The patient's recorded allergies that match one of the drug's active ingredients."""
    ingredients = [i.lower() for i in drug.ingredients]
    found = []
    for allergy in Allergy.objects.filter(patient_id=patient_id):
        substance = allergy.substance.strip().lower()
        if any(substance == i or substance in i or i in substance for i in ingredients):
            reaction = f", {allergy.reaction}" if allergy.reaction else ""
            found.append(f"{allergy.substance} ({allergy.get_severity_display().lower()}{reaction})")
    return found
