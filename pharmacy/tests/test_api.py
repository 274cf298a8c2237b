import datetime

import pytest
from django.utils import timezone

from billing.models import Invoice
from clinical import commands as clinical
from pharmacy.models import Dispense, StockBatch
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


def test_allergy_refusal_and_override_through_the_api(api_as):
    pharmacist, clinician = api_as("pharmacist"), api_as("clinician")
    drug_id = pharmacist.post("/api/v1/drugs/", DRUG, format="json").json()["id"]
    pharmacist.post(
        "/api/v1/stock-batches/",
        {"drug": drug_id, "lot_number": "L", "expiry_date": in_days(100), "quantity": 50, "unit_cost": "0.05"},
        format="json",
    )
    encounter = EncounterFactory()
    clinical.allergy_record(patient_id=encounter.patient_id, substance="ibuprofen", severity="moderate")
    prescription = clinician.post(
        "/api/v1/prescriptions/",
        {
            "encounter": encounter.pk,
            "drug": drug_id,
            "dose": "1",
            "frequency": "daily",
            "duration_days": 2,
            "quantity": 2,
        },
        format="json",
    ).json()
    refused = pharmacist.post("/api/v1/dispenses/", {"prescription": prescription["id"]}, format="json")
    assert refused.status_code == 409 and "allergy_override_reason" in refused.json()["errors"]
    overridden = pharmacist.post(
        "/api/v1/dispenses/",
        {"prescription": prescription["id"], "allergy_override_reason": "Mild past reaction; benefits outweigh"},
        format="json",
    )
    assert overridden.status_code == 201
    assert overridden.json()["allergy_override_reason"] == "Mild past reaction; benefits outweigh"


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
