import datetime

import pytest
from django.utils import timezone

from billing.models import Invoice
from pharmacy.models import Dispense, OrderCheck, Prescription, StockBatch
from tests.support.factories.clinical import EncounterFactory

pytestmark = pytest.mark.django_db

DRUG = {
    "code": "IBU400",
    "generic_name": "Ibuprofen",
    "form": "tablet",
    "strength": "400 mg",
    "unit": "tablet",
    "unit_price": "0.15",
    "reorder_level": 30,
    "ingredients": ["Ibuprofen"],
}


def in_days(n):
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def test_a_pharmacist_receives_sees_expiry_and_dispenses_and_the_invoice_shows_the_charge(api_as):
    pharmacist, clinician = api_as("pharmacist"), api_as("clinician")
    drug = pharmacist.post("/api/v1/drugs/", DRUG, format="json")
    assert drug.status_code == 201, drug.json()
    drug_id = drug.json()["id"]
    for lot, expiry, qty in (("B-LATE", in_days(400), 100), ("B-SOON", in_days(20), 5)):
        received = pharmacist.post(
            "/api/v1/stock-batches/",
            {"drug": drug_id, "lot_number": lot, "expiry_date": expiry, "quantity": qty, "unit_cost": "0.05"},
            format="json",
        )
        assert received.status_code == 201
    expiring = pharmacist.get("/api/v1/stock-batches/", {"expiring_within": 30}).json()["results"]
    assert [b["lot_number"] for b in expiring] == ["B-SOON"]

    encounter = EncounterFactory()
    prescription = clinician.post(
        "/api/v1/prescriptions/",
        {
            "encounter": encounter.pk,
            "drug": drug_id,
            "dose": "400 mg",
            "frequency": "every 8 hours",
            "duration_days": 3,
            "quantity": 9,
        },
        format="json",
    )
    assert prescription.status_code == 201, prescription.json()
    assert (
        clinician.post("/api/v1/dispenses/", {"prescription": prescription.json()["id"]}, format="json").status_code
        == 403
    )

    dispensed = pharmacist.post("/api/v1/dispenses/", {"prescription": prescription.json()["id"]}, format="json")
    assert dispensed.status_code == 201, dispensed.json()
    body = dispensed.json()
    assert [(a["lot_number"], a["quantity"]) for a in body["allocations"]] == [("B-SOON", 5), ("B-LATE", 4)]
    assert body["charge"] == "1.35"
    invoice = Invoice.objects.get(pk=body["invoice"])
    assert invoice.encounter_id == encounter.pk and invoice.total.to_eng_string() == "1.35"

    stock = pharmacist.get("/api/v1/drugs/stock/").json()["results"][0]
    assert (stock["on_hand"], stock["below_reorder"]) == (96, False)
    meds = clinician.get(f"/api/v1/patients/{encounter.patient_id}/summary/").json()["current_medications"]
    assert meds[0]["drug"] == "Ibuprofen 400 mg tablet"


def test_insufficient_stock_is_a_clear_409(api_as):
    pharmacist, clinician = api_as("pharmacist"), api_as("clinician")
    drug_id = pharmacist.post("/api/v1/drugs/", DRUG, format="json").json()["id"]
    pharmacist.post(
        "/api/v1/stock-batches/",
        {"drug": drug_id, "lot_number": "L", "expiry_date": in_days(100), "quantity": 2, "unit_cost": "0.05"},
        format="json",
    )
    prescription = clinician.post(
        "/api/v1/prescriptions/",
        {
            "encounter": EncounterFactory().pk,
            "drug": drug_id,
            "dose": "1",
            "frequency": "daily",
            "duration_days": 5,
            "quantity": 5,
        },
        format="json",
    ).json()
    response = pharmacist.post("/api/v1/dispenses/", {"prescription": prescription["id"]}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"]["quantity"][0].startswith("Insufficient stock")
    assert not Dispense.objects.exists()


AMOXICILLIN = {**DRUG, "code": "AMOX500", "generic_name": "Amoxicillin", "ingredients": ["Amoxycillin"]}


def test_penicillin_allergy_stops_amoxicillin_at_prescribing_with_409_naming_the_rule_and_the_override(api_as):
    pharmacist, clinician = api_as("pharmacist"), api_as("clinician")
    drug = pharmacist.post("/api/v1/drugs/", AMOXICILLIN, format="json").json()
    assert drug["ingredients"] == ["amoxicillin"]  # the British spelling is the INN the checks know
    drug_id = drug["id"]
    pharmacist.post(
        "/api/v1/stock-batches/",
        {"drug": drug_id, "lot_number": "L", "expiry_date": in_days(100), "quantity": 50, "unit_cost": "0.05"},
        format="json",
    )
    encounter = EncounterFactory()
    allergy = clinician.post(
        "/api/v1/allergies/",
        {"patient": encounter.patient_id, "allergen": "class:penicillins", "severity": "severe", "reaction": "hives"},
        format="json",
    )
    assert allergy.status_code == 201 and allergy.json()["coded"] and allergy.json()["verification"] == "unconfirmed"
    order = {"encounter": encounter.pk, "drug": drug_id, "dose": "1", "frequency": "daily", "duration_days": 2}
    refused = clinician.post("/api/v1/prescriptions/", {**order, "quantity": 2}, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert "Allergy to Penicillins (severe, hives, unconfirmed)" in body["errors"]["override_reason"][0]
    assert [(c["rule"], c["action"], c.get("override_field")) for c in body["checks"]] == [
        ("allergy_drug", "block", "override_reason")
    ]
    assert not Prescription.objects.exists() and not OrderCheck.objects.exists()  # nothing written

    reason = "Tolerated amoxicillin last year; consultant agreed"
    created = clinician.post(
        "/api/v1/prescriptions/", {**order, "quantity": 2, "override_reason": reason}, format="json"
    )
    assert created.status_code == 201
    checks = created.json()["checks"]
    assert [(c["rule"], c["action"], c["override_reason"], c["stage"]) for c in checks] == [
        ("allergy_drug", "block", reason, "prescribing")
    ]
    prescription = created.json()["id"]

    # The pharmacist sees the same finding and overrides it on their own account.
    refused = pharmacist.post("/api/v1/dispenses/", {"prescription": prescription}, format="json")
    assert refused.status_code == 409 and "override_reason" in refused.json()["errors"]
    assert not Dispense.objects.exists()
    overridden = pharmacist.post(
        "/api/v1/dispenses/",
        {"prescription": prescription, "override_reason": "Prescriber's reason checked with the ward"},
        format="json",
    )
    assert overridden.status_code == 201
    assert overridden.json()["override_reason"] == "Prescriber's reason checked with the ward"
    assert [c["stage"] for c in overridden.json()["checks"]] == ["dispensing"]


def test_warnings_do_not_stop_an_api_order_and_come_back_with_it(api_as):
    pharmacist, clinician = api_as("pharmacist"), api_as("clinician")
    drug_id = pharmacist.post("/api/v1/drugs/", DRUG, format="json").json()["id"]
    encounter = EncounterFactory()
    order = {"encounter": encounter.pk, "drug": drug_id, "dose": "1", "frequency": "daily", "duration_days": 2}
    created = clinician.post("/api/v1/prescriptions/", {**order, "quantity": 2}, format="json")
    assert created.status_code == 201
    assert [(c["rule"], c["action"]) for c in created.json()["checks"]] == [("allergy_unknown", "warn")]


def test_adjust_and_bad_input(api_as):
    pharmacist = api_as("pharmacist")
    drug_id = pharmacist.post("/api/v1/drugs/", DRUG, format="json").json()["id"]
    batch = pharmacist.post(
        "/api/v1/stock-batches/",
        {"drug": drug_id, "lot_number": "L", "expiry_date": in_days(100), "quantity": 10, "unit_cost": "0.05"},
        format="json",
    ).json()
    adjusted = pharmacist.post(
        f"/api/v1/stock-batches/{batch['id']}/adjust/", {"quantity_change": -2, "reason": "damaged"}, format="json"
    )
    assert adjusted.status_code == 200 and adjusted.json()["quantity_on_hand"] == 8
    too_many = pharmacist.post(
        f"/api/v1/stock-batches/{batch['id']}/adjust/", {"quantity_change": -9, "reason": "expired"}, format="json"
    )
    assert too_many.status_code == 400 and "quantity_change" in too_many.json()["errors"]
    expired = pharmacist.post(
        "/api/v1/stock-batches/",
        {"drug": drug_id, "lot_number": "X", "expiry_date": in_days(-1), "quantity": 10, "unit_cost": "0.05"},
        format="json",
    )
    assert expired.status_code == 400 and "expiry_date" in expired.json()["errors"]
    no_ingredients = pharmacist.post("/api/v1/drugs/", {**DRUG, "code": "X", "ingredients": []}, format="json")
    assert no_ingredients.status_code == 400 and "ingredients" in no_ingredients.json()["errors"]
    assert StockBatch.objects.get(pk=batch["id"]).quantity_on_hand == 8


def test_current_medications_include_what_is_prescribed_and_stopping_is_a_command(api_as):
    pharmacist, clinician = api_as("pharmacist"), api_as("clinician")
    drug_id = pharmacist.post("/api/v1/drugs/", DRUG, format="json").json()["id"]
    pharmacist.post(
        "/api/v1/stock-batches/",
        {"drug": drug_id, "lot_number": "L", "expiry_date": in_days(100), "quantity": 50, "unit_cost": "0.05"},
        format="json",
    )
    encounter = EncounterFactory()
    order = {"encounter": encounter.pk, "drug": drug_id, "dose": "1", "frequency": "daily", "duration_days": 5}
    first = clinician.post("/api/v1/prescriptions/", {**order, "quantity": 5}, format="json").json()["id"]
    summary = clinician.get(f"/api/v1/patients/{encounter.patient_id}/summary/").json()
    assert [(m["prescription"], m["state"]) for m in summary["current_medications"]] == [
        (first, "prescribed, not yet dispensed")  # the next prescriber sees it before the pharmacy does
    ]
    pharmacist.post("/api/v1/dispenses/", {"prescription": first, "quantity": 2}, format="json")
    summary = clinician.get(f"/api/v1/patients/{encounter.patient_id}/summary/").json()
    assert summary["current_medications"][0]["state"] == "partly dispensed (2 of 5)"

    assert pharmacist.post(f"/api/v1/prescriptions/{first}/stop/", {"reason": "rash"}, format="json").status_code == 403
    assert clinician.post(f"/api/v1/prescriptions/{first}/stop/", {}, format="json").status_code == 400
    stopped = clinician.post(f"/api/v1/prescriptions/{first}/stop/", {"reason": "rash on day 2"}, format="json")
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "stopped" and stopped.json()["end_reason"] == "rash on day 2"
    again = clinician.post(f"/api/v1/prescriptions/{first}/stop/", {"reason": "again"}, format="json")
    assert again.status_code == 409
    summary = clinician.get(f"/api/v1/patients/{encounter.patient_id}/summary/").json()
    assert summary["current_medications"] == []
    refused = pharmacist.post("/api/v1/dispenses/", {"prescription": first}, format="json")
    assert refused.status_code == 409 and "stopped" in refused.json()["errors"]["prescription"][0]


def test_an_order_can_be_checked_without_writing_it(api_as):
    pharmacist, clinician = api_as("pharmacist"), api_as("clinician")
    drug = pharmacist.post("/api/v1/drugs/", AMOXICILLIN, format="json").json()
    encounter = EncounterFactory()
    clinician.post(
        "/api/v1/allergies/",
        {"patient": encounter.patient_id, "substance": "penicillin", "severity": "severe"},
        format="json",
    )
    order = {"encounter": encounter.pk, "drug": drug["id"], "dose": "1", "frequency": "daily", "duration_days": 2}
    checked = clinician.post("/api/v1/prescriptions/check/", {**order, "quantity": 2}, format="json")
    assert checked.status_code == 200
    assert [(c["rule"], c["action"]) for c in checked.json()["checks"]] == [("allergy_drug", "block")]
    assert not Prescription.objects.exists() and not OrderCheck.objects.exists()
    missing = clinician.post("/api/v1/prescriptions/check/", {**order, "quantity": 2, "encounter": 0}, format="json")
    assert missing.status_code == 400 and "encounter" in missing.json()["errors"]
    assert pharmacist.post("/api/v1/prescriptions/check/", {**order, "quantity": 2}, format="json").status_code == 403
