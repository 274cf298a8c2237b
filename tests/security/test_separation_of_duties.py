"""Clinicians prescribe, pharmacists dispense: neither role does both, and nobody dispenses their own order."""

import pytest

from core.errors import Conflict
from pharmacy import commands
from pharmacy.models import Prescription
from tests.support.factories.clinical import EncounterFactory, UserFactory
from tests.support.factories.pharmacy import amoxicillin, receive

pytestmark = pytest.mark.django_db


def test_a_pharmacist_cannot_prescribe_through_the_api_the_chart_or_the_admin(api_as, client):
    encounter, drug = EncounterFactory(), amoxicillin()
    order = {"encounter": encounter.pk, "drug": drug.pk, "dose": "1", "frequency": "tds", "duration_days": 5}
    assert api_as("pharmacist").post("/api/v1/prescriptions/", {**order, "quantity": 15}).status_code == 403
    client.force_login(UserFactory(username="pharm-sod", is_staff=True, roles=["pharmacist"]))
    form = {"drug_id": drug.pk, "dose": "1", "frequency": "tds", "duration_days": 5, "quantity": 15}
    assert client.post(f"/patients/encounters/{encounter.pk}/prescriptions/", form).status_code == 403
    assert client.get("/admin/pharmacy/prescription/add/").status_code == 403
    assert not Prescription.objects.exists()


def test_nobody_dispenses_what_they_prescribed():
    drug = amoxicillin()
    receive(drug, "A", 100, 50)
    doctor = UserFactory(roles=["clinician", "pharmacist"])  # even holding both roles
    order = commands.prescription_create(
        encounter_id=EncounterFactory().pk,
        drug_id=drug.pk,
        dose="500 mg",
        frequency="tds",
        duration_days=5,
        quantity=15,
        prescriber=doctor,
    )
    with pytest.raises(Conflict, match="another member of staff"):
        commands.medication_dispense(prescription_id=order.pk, dispensed_by=doctor)
    assert not order.dispenses.exists()
    commands.medication_dispense(prescription_id=order.pk, dispensed_by=UserFactory(roles=["pharmacist"]))
    assert order.dispenses.count() == 1
