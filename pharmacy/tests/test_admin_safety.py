"""The admin prescribes and dispenses through the same commands, so the same safety checks stop it."""

import datetime
from decimal import Decimal

import pytest

from clinical import commands as clinical
from core.audit.models import AuditEvent
from pharmacy import commands
from pharmacy.models import Dispense, OrderCheck, Prescription
from tests.support.factories.clinical import EncounterFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def amoxicillin():
    drug = commands.drug_create(
        code="AMOX",
        generic_name="Amoxicillin",
        form="capsule",
        strength="500 mg",
        unit="capsule",
        unit_price=Decimal("0.80"),
        ingredients=["amoxicillin"],
    )
    commands.stock_receive(
        drug_id=drug.pk,
        lot_number="L1",
        expiry_date=datetime.date.today() + datetime.timedelta(days=90),
        quantity=30,
        unit_cost=Decimal("0.2"),
    )
    return drug


def test_the_admin_cannot_prescribe_amoxicillin_over_a_penicillin_allergy_without_a_reason(staff, amoxicillin):
    encounter = EncounterFactory()
    clinical.allergy_record(patient_id=encounter.patient_id, allergen="class:penicillins", severity="severe")
    order = {
        "encounter": encounter.pk,
        "drug": amoxicillin.pk,
        "dose": "500 mg",
        "frequency": "tds",
        "duration_days": "5",
        "quantity": "15",
        "notes": "",
        "checks-TOTAL_FORMS": "0",
        "checks-INITIAL_FORMS": "0",
    }
    refused = staff.post("/admin/pharmacy/prescription/add/", order, follow=True)
    page = refused.content.decode()
    assert "Not saved. override reason: Allergy to a prescribed drug: Allergy to Penicillins (severe" in page
    assert not Prescription.objects.exists() and not OrderCheck.objects.exists()

    staff.post("/admin/pharmacy/prescription/add/", {**order, "override_reason": "Allergist cleared it"})
    prescription = Prescription.objects.get()
    check = OrderCheck.objects.get(prescription=prescription)
    assert (check.rule, check.action, check.override_reason) == ("allergy_drug", "block", "Allergist cleared it")
    assert check.decided_by.username == "root"
    # Audited in the writing transaction: who overrode, for which patient.
    event = AuditEvent.objects.get(model="pharmacy.ordercheck", object_id=str(check.pk))
    assert (event.action, event.username, event.patient_id) == ("create", "root", encounter.patient_id)

    # The dispense action shows the findings and needs its own reason.
    other = UserFactory(username="chemist", is_staff=True, is_superuser=True)
    staff.force_login(other)
    form = {"action": "dispense", "_selected_action": [prescription.pk]}
    confirm = staff.post("/admin/pharmacy/prescription/", form).content.decode()
    assert "dispensing needs an override reason" in confirm and "Allergist cleared it" in confirm
    refused = staff.post("/admin/pharmacy/prescription/", {**form, "apply": "1", "quantity": ""}, follow=True)
    assert "Give an override reason to dispense anyway." in refused.content.decode()
    assert not Dispense.objects.exists()
    staff.post("/admin/pharmacy/prescription/", {**form, "apply": "1", "quantity": "", "override_reason": "Agreed"})
    assert Dispense.objects.get().override_reason == "Agreed"
