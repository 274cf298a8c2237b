"""The chart's prescribe form: findings first, then the prescriber confirms exactly what was shown."""

import re
from decimal import Decimal

import pytest

from clinical import commands as clinical
from clinical import queries as clinical_queries
from pharmacy import commands as pharmacy
from pharmacy.models import OrderCheck, Prescription
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _drug(code, name):
    return pharmacy.drug_create(
        code=code, generic_name=name, form="tablet", strength="1 mg", unit="tablet", unit_price=Decimal("0.10"),
        ingredients=[name.lower()],
    )  # fmt: skip


@pytest.fixture
def visit(client):
    doctor = UserFactory(username="dr-review", roles=["clinician"])
    client.force_login(doctor)
    encounter = clinical.encounter_start(
        patient_id=PatientFactory().pk, type="outpatient", department_id=DepartmentFactory().pk, attending_id=doctor.pk
    )
    return encounter, doctor


def _order(drug, **extra):
    return {"drug_id": drug.pk, "dose": "1", "frequency": "daily", "duration_days": "5", "quantity": "5", **extra}


def test_warnings_are_shown_before_anything_is_written_and_a_confirmation_covers_only_what_was_shown(client, visit):
    encounter, doctor = visit
    clinical.allergy_statement_record(patient_id=encounter.patient_id, kind="nkda")
    ibuprofen, naproxen, warfarin = _drug("IBU", "Ibuprofen"), _drug("NAP", "Naproxen"), _drug("WAR", "Warfarin")
    pharmacy.prescription_create(
        encounter_id=encounter.pk, drug_id=ibuprofen.pk, dose="1", frequency="daily", duration_days=5, quantity=5,
        prescriber=doctor,
    )  # fmt: skip
    url = f"/patients/encounters/{encounter.pk}/prescriptions/"

    review = client.post(url, _order(naproxen))
    page = review.content.decode()
    assert review.status_code == 200
    assert "Safety warnings: read them, then confirm the prescription." in page
    assert "Duplicate therapy: two NSAIDs, Ibuprofen and Naproxen" in page
    assert "Confirm and prescribe" in page
    assert Prescription.objects.count() == 1  # nothing written yet
    reviewed = re.search(r'name="reviewed" value="([^"]+)"', page).group(1)

    # Something changed since (another order): the confirmation no longer covers what would be recorded.
    pharmacy.prescription_create(
        encounter_id=encounter.pk, drug_id=warfarin.pk, dose="1", frequency="daily", duration_days=5, quantity=5,
        prescriber=doctor, override_reason="Ibuprofen is stopped tomorrow",
    )  # fmt: skip
    again = client.post(url, _order(naproxen, reviewed=reviewed))
    assert again.status_code == 409  # warfarin + naproxen now blocks
    assert "Stopped by the safety checks" in again.content.decode()
    assert Prescription.objects.count() == 2

    reviewed = re.search(r'name="reviewed" value="([^"]+)"', again.content.decode()).group(1)
    done = client.post(url, _order(naproxen, reviewed=reviewed, override_reason="Short course, INR in 3 days"))
    assert done.status_code == 302
    prescription = Prescription.objects.get(drug=naproxen)
    checks = {c.rule: (c.action, c.override_reason) for c in OrderCheck.objects.filter(prescription=prescription)}
    assert checks == {"duplicate": ("warn", ""), "interaction": ("block", "Short course, INR in 3 days")}


def test_an_order_nothing_is_found_about_goes_straight_through(client, visit):
    encounter, _ = visit
    clinical.allergy_statement_record(patient_id=encounter.patient_id, kind="nkda")
    paracetamol = _drug("PARA", "Paracetamol")
    response = client.post(f"/patients/encounters/{encounter.pk}/prescriptions/", _order(paracetamol))
    assert response.status_code == 302
    assert Prescription.objects.get().drug == paracetamol and not OrderCheck.objects.exists()


def test_the_chart_records_allergy_status_verification_problems_and_stops(client, visit):
    encounter, doctor = visit
    patient_id = encounter.patient_id
    chart = client.get(f"/patients/{patient_id}/").content.decode()
    assert "Allergy status: Not yet asked" in chart

    assert client.post(f"/patients/{patient_id}/allergy-status/", {"kind": "nkda"}).status_code == 302
    assert "Allergy status: No known drug allergies" in client.get(f"/patients/{patient_id}/").content.decode()

    free_text = {"substance": "Bactrim?", "category": "drug", "severity": "mild", "verification": "unconfirmed"}
    assert client.post(f"/patients/{patient_id}/allergies/", free_text).status_code == 302
    allergy = clinical_queries.allergies().get(patient_id=patient_id)
    chart = client.get(f"/patients/{patient_id}/?tab=problems").content.decode()  # the allergies' own tab
    assert "Allergy status: Allergies recorded" in chart and ">uncoded</span>" in chart
    assert (
        client.post(f"/patients/allergies/{allergy.pk}/verification/", {"verification": "refuted"}).status_code == 302
    )
    allergy.refresh_from_db()
    assert allergy.verification == "refuted"

    both = {**free_text, "allergen": "class:penicillins"}  # a listed allergen and free text: which one?
    refused = client.post(f"/patients/{patient_id}/allergies/", both)
    assert (
        refused.status_code == 400
        and "Choose an allergen from the list or type one; not both." in refused.content.decode()
    )

    assert client.post(f"/patients/{patient_id}/problems/", {"problem-code": "J18"}).status_code == 400
    assert client.post(f"/patients/{patient_id}/problems/", {"problem-code": "J18.9"}).status_code == 302
    problem = clinical_queries.problem_list(patient_id=patient_id).get()
    assert client.post(f"/patients/problems/{problem.pk}/resolve/", {}).status_code == 302
    assert not clinical_queries.problem_list(patient_id=patient_id).exists()

    paracetamol = _drug("PARA", "Paracetamol")
    rx = pharmacy.prescription_create(
        encounter_id=encounter.pk, drug_id=paracetamol.pk, dose="1", frequency="daily", duration_days=5, quantity=5,
        prescriber=doctor,
    )  # fmt: skip
    assert client.post(f"/patients/prescriptions/{rx.pk}/stop/", {"reason": "no longer needed"}).status_code == 302
    rx.refresh_from_db()
    assert rx.status == "stopped" and rx.ended_by == doctor and rx.end_reason == "no longer needed"
    chart = client.get(f"/patients/{patient_id}/").content.decode()
    medications = chart.split('id="med-h"')[1].split("</section>")[0]
    assert "Paracetamol" not in medications and "None." in medications
