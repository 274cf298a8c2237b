"""The billing clerk in a real browser: invoice from the price list, issue, pay, credit, void, list, print."""

from decimal import Decimal

from playwright.sync_api import expect

from billing import commands as billing
from billing.models import Invoice, Payment
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory
from tests.support.stack import on_stack, shot

pytestmark = on_stack


def test_billing_clerk_day(browse):
    UserFactory(username="clerk", roles=["billing_clerk"])
    encounter = EncounterFactory(patient=PatientFactory(given_name="Kwame", family_name="Mensah"))
    PayerFactory(name="Acme Health", payment_terms_days=30)
    ServiceFactory(code="XR", name="Chest X-ray", price=Decimal("85.00"))
    page = browse("clerk")

    page.goto(f"/billing/encounters/{encounter.pk}/invoice/")
    page.get_by_label("Payer").select_option(label="Acme Health")
    page.get_by_role("button", name="Create draft invoice").click()
    expect(page.get_by_text("An invoice needs at least one line.")).to_be_visible()
    assert not Invoice.objects.using("default").exists()
    page.locator("#id_lines-0-service").select_option(label="XR Chest X-ray")
    page.locator("#id_lines-0-quantity").fill("2")
    page.get_by_role("button", name="Create draft invoice").click()
    expect(page.get_by_text("Draft invoice created.")).to_be_visible()
    expect(page.get_by_text("170.00").first).to_be_visible()

    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_text("Invoice issued.")).to_be_visible()
    number = Invoice.objects.using("default").get().number
    expect(page.get_by_role("heading", name=number)).to_be_visible()

    payment = page.get_by_role("form", name="Record a payment")
    payment.get_by_label("Amount").fill("200")
    payment.get_by_label("Method").select_option("card")
    payment.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("The payment exceeds the outstanding amount (170.00).")).to_be_visible()
    assert not Payment.objects.using("default").exists()
    assert page.get_by_role("form", name="Record a payment").get_by_label("Amount").input_value() == "200"
    page.get_by_role("form", name="Record a payment").get_by_label("Amount").fill("100")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Payment recorded.")).to_be_visible()
    credit = page.get_by_role("form", name="Credit note")
    credit.get_by_label("Amount").fill("20")
    credit.get_by_label("Reason").fill("Goodwill")
    credit.get_by_role("button", name="Record credit note").click()
    expect(page.get_by_text("Credit note recorded.")).to_be_visible()
    expect(page.get_by_text("50.00").first).to_be_visible()  # outstanding: 170 - 100 - 20
    shot(page, "billing-invoice")

    page.get_by_role("link", name="Print").click()
    expect(page.get_by_role("heading", name=f"Invoice {number}")).to_be_visible()
    shot(page, "billing-invoice-print")

    draft = billing.invoice_create(
        patient_id=encounter.patient_id, payer_id=PayerFactory().pk, lines=[{"service": ServiceFactory().pk}]
    )
    page.goto(f"/billing/invoices/{draft.pk}/")
    page.get_by_label("Reason for voiding").fill("   ")  # passes the browser's check, not the server's
    page.get_by_role("button", name="Void invoice").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    page.get_by_label("Reason for voiding").fill("Entered twice")
    page.get_by_role("button", name="Void invoice").click()
    expect(page.get_by_text("Invoice voided.")).to_be_visible()

    page.get_by_role("link", name="Billing", exact=True).click()
    page.get_by_label("Status").select_option("partially_paid")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=number)).to_be_visible()
    assert page.locator("table.report tbody tr").count() == 1  # the voided draft is filtered out
    shot(page, "billing-invoices")
