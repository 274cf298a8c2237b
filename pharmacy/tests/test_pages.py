"""The pharmacist in a real browser: queue, dispense with FEFO plan and the safety checks' override, receive,
adjust."""

import datetime
from decimal import Decimal

from playwright.sync_api import expect

from clinical import commands as clinical
from pharmacy import commands as pharmacy
from pharmacy.models import Dispense, StockBatch
from tests.support.factories.clinical import EncounterFactory, UserFactory
from tests.support.stack import on_stack, shot

pytestmark = on_stack


def test_pharmacist_day(browse):
    UserFactory(username="chemist", roles=["pharmacist"])
    drug = pharmacy.drug_create(
        code="AMOX",
        generic_name="Amoxicillin",
        form="capsule",
        strength="500 mg",
        unit="capsule",
        unit_price=Decimal("0.80"),
        reorder_level=10,
        ingredients=["amoxicillin"],
    )
    soon = datetime.date.today() + datetime.timedelta(days=20)
    pharmacy.stock_receive(
        drug_id=drug.pk, lot_number="LOT-SOON", expiry_date=soon, quantity=10, unit_cost=Decimal("0.3")
    )
    encounter = EncounterFactory()
    clinical.allergy_record(patient_id=encounter.patient_id, substance="amoxicillin", severity="mild", reaction="itch")
    pharmacy.prescription_create(
        encounter_id=encounter.pk,
        drug_id=drug.pk,
        dose="500 mg",
        frequency="tds",
        duration_days=2,
        quantity=6,
        prescriber=UserFactory(first_name="Ada", last_name="Okoro"),
        override_reason="Only an itch last time; benefit outweighs",
    )
    page = browse("chemist")

    page.get_by_role("link", name="Pharmacy", exact=True).click()
    expect(page.get_by_role("cell", name="Amoxicillin 500 mg capsule overridden")).to_be_visible()
    shot(page, "pharmacy-queue")
    page.get_by_role("link", name="Dispense").click()
    expect(page.get_by_text("6 from lot LOT-SOON")).to_be_visible()
    checks = page.get_by_role("alert", name="Safety checks")
    expect(checks).to_contain_text("Stopped by the safety checks: dispensing needs an override reason.")
    expect(checks).to_contain_text("Allergy to Amoxicillin (mild, itch, unconfirmed): Amoxicillin contains amoxicillin")
    expect(page.get_by_text("Overridden when prescribed (block, allergy_drug) by Ada Okoro")).to_be_visible()
    page.get_by_role("button", name="Dispense").click()
    expect(page.get_by_text("Give an override reason to dispense anyway.")).to_be_visible()
    assert not Dispense.objects.using("default").exists()
    shot(page, "pharmacy-dispense")
    page.get_by_label("Override reason").fill("Mild itch only; prescriber confirmed")
    page.get_by_role("button", name="Dispense").click()
    expect(page.get_by_text("Dispensed; the charge is on the invoice.")).to_be_visible()
    expect(page.get_by_text("Nothing waiting.")).to_be_visible()

    page.get_by_role("link", name="Receive stock").click()
    page.get_by_label("Drug").select_option(label="Amoxicillin 500 mg capsule")
    page.get_by_label("Lot number").fill("LOT-NEW")
    page.get_by_label("Expiry date").fill("2020-01-01")
    page.get_by_label("Quantity").fill("100")
    page.get_by_label("Unit cost").fill("0.30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This stock has already expired.")).to_be_visible()
    assert page.get_by_label("Lot number").input_value() == "LOT-NEW"
    shot(page, "pharmacy-receive")
    page.get_by_label("Expiry date").fill((datetime.date.today() + datetime.timedelta(days=400)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Stock received.")).to_be_visible()

    page.get_by_role("link", name="Adjust").click()
    page.get_by_label("Quantity change").fill("-9")
    page.get_by_label("Reason").select_option("damaged")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Only 4 on hand in this batch.")).to_be_visible()
    page.get_by_label("Quantity change").fill("-1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Stock adjusted.")).to_be_visible()
    assert StockBatch.objects.using("default").get(lot_number="LOT-SOON").quantity_on_hand == 3
    # Any batch, not only those expiring: the stock page lists every lot with stock.
    expect(page.get_by_role("heading", name="Stock on the shelf")).to_be_visible()
    page.get_by_role("link", name="Adjust Amoxicillin lot LOT-NEW").click()
    page.get_by_label("Quantity change").fill("-5")
    page.get_by_label("Reason").select_option("damaged")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Stock adjusted.")).to_be_visible()
    assert StockBatch.objects.using("default").get(lot_number="LOT-NEW").quantity_on_hand == 95
    shot(page, "pharmacy-stock")
