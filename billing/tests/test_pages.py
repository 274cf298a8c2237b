"""The billing clerk's pages: the invoice list (search, sort, pages), the worklist, the invoice filled in from
an encounter's care, receipts and printouts; then a clerk's day in a real browser."""

import re
from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import expect

from billing import commands as billing
from billing.models import Invoice, InvoiceLine, Payment
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory
from tests.support.stack import on_stack, shot, sign_in

pytestmark = on_stack


def capture(encounter, description, price, quantity=1):
    """A charge captured during the encounter, as the pharmacy's dispense and the ward's bed-days do."""
    draft = billing.encounter_draft_invoice(encounter_id=encounter.pk)
    return billing.invoice_add_line(
        invoice_id=draft.pk, description=description, unit_price=Decimal(price), quantity=Decimal(quantity)
    )


def rows_of(page: str) -> list[str]:
    return re.findall(r'<a href="/billing/invoices/\d+/">([^<]+)</a>', page)


def test_the_invoice_list_searches_by_number_and_patient_sorts_and_pages_with_a_total(client):
    payer = PayerFactory()
    mensah = PatientFactory(given_name="Kwame", family_name="Mensah", mrn="M0000042")
    for n in range(27):
        billing.invoice_create(
            patient_id=(mensah if n < 2 else PatientFactory(family_name=f"Other{n}")).pk,
            payer_id=payer.pk,
            lines=[{"description": f"Visit {n}", "unit_price": Decimal(10 + n)}],
        )
    issued = billing.invoice_issue(invoice_id=Invoice.objects.order_by("id").first().pk)
    sign_in(client, UserFactory(username="list-clerk", roles=["billing_clerk"]))
    url = reverse("billing:invoices")

    first = client.get(url).content.decode()
    assert "27 invoices" in first and "Page 1 of 2" in first and len(rows_of(first)) == 25
    second = client.get(url, {"page": 2}).content.decode()
    assert len(rows_of(second)) == 2 and "Page 2 of 2" in second  # no silent cap: every invoice has a page

    by_mrn = client.get(url, {"q": "m0000042"}).content.decode()
    assert "2 invoices" in by_mrn and by_mrn.count("Mensah, Kwame") == 2
    assert "2 invoices" in client.get(url, {"q": "kwame mens"}).content.decode()  # every word, in any name
    by_number = client.get(url, {"q": issued.number}).content.decode()
    assert rows_of(by_number) == [issued.number]

    cheapest = rows_of(client.get(url, {"sort": "total"}).content.decode())
    dearest = rows_of(client.get(url, {"sort": "-total"}).content.decode())
    assert cheapest[0] == issued.number  # 10.00, the first made
    assert dearest[0] == str(Invoice.objects.order_by("-total").first())
    sorted_page = client.get(url, {"sort": "total"}).content.decode()
    assert 'aria-sort="ascending"' in sorted_page and "sort=-total" in sorted_page
    assert client.get(url, {"sort": "password"}).status_code == 200  # an unknown key: the default order
    assert 'class="badge status-issued"' in by_number


def test_a_draft_shows_no_outstanding_and_a_void_invoice_its_reason(client):
    draft = billing.invoice_create(
        patient_id=PatientFactory().pk, payer_id=PayerFactory().pk, lines=[{"service": ServiceFactory().pk}]
    )
    sign_in(client, UserFactory(username="draft-clerk", roles=["billing_clerk"]))
    for name in ("billing:invoice", "billing:print"):
        page = client.get(reverse(name, args=[draft.pk])).content.decode()
        assert "100.00" in page and not re.search(r"Outstanding[^0-9]{0,80}0\.00", page)
    assert "Not owed yet" in client.get(reverse("billing:invoice", args=[draft.pk])).content.decode()
    assert "Draft — not a demand for payment" in client.get(reverse("billing:print", args=[draft.pk])).content.decode()
    listed = client.get(reverse("billing:invoices")).content.decode()
    assert "not issued" in listed
    billing.invoice_void(invoice_id=draft.pk, reason="Entered twice")
    for name in ("billing:invoice", "billing:print"):
        assert "Entered twice" in client.get(reverse(name, args=[draft.pk])).content.decode()


def test_the_worklist_lists_encounters_with_care_waiting_and_the_invoice_starts_from_it(client):
    encounter = EncounterFactory(patient=PatientFactory(given_name="Ama", family_name="Owusu", mrn="W0000007"))
    drug = capture(encounter, "Amoxicillin 500 mg capsule (AMX500)", "2.00", quantity=3)
    bed_day = capture(encounter, "Bed-day, night of 01 Dec 2026: Ward A, bed 3", "120.00")
    billed = EncounterFactory()
    capture(billed, "Paracetamol", "1.00")
    billing.invoice_issue(invoice_id=Invoice.objects.get(encounter=billed).pk)
    insurer = PayerFactory(name="Acme Health")
    xray = ServiceFactory(code="XR", name="Chest X-ray", price=Decimal("85.00"))
    sign_in(client, UserFactory(username="work-clerk", roles=["billing_clerk"]))

    worklist = client.get(reverse("billing:unbilled")).content.decode()
    assert "Owusu, Ama" in worklist and "126.00" in worklist and "1 encounter waits" in worklist
    assert reverse("billing:new_invoice", args=[encounter.pk]) in worklist
    assert reverse("billing:invoice", args=[drug.invoice_id]) in worklist  # its draft, to open as it is
    assert "Owusu" not in client.get(reverse("billing:unbilled"), {"q": "nobody"}).content.decode()

    url = reverse("billing:new_invoice", args=[encounter.pk])
    form = client.get(url).content.decode()
    for text in ("Amoxicillin 500 mg capsule (AMX500)", "2.00", "6.00", "Bed-day, night of 01 Dec 2026", "120.00"):
        assert text in form
    assert "XR Chest X-ray — 85.00" in form and 'data-price="85.00"' in form
    assert "<script>" not in form and " onclick=" not in form

    data = {
        "payer_id": insurer.pk,
        "charges-TOTAL_FORMS": 2,
        "charges-INITIAL_FORMS": 2,
        "charges-0-charge": drug.pk,
        "charges-1-charge": bed_day.pk,
        "charges-1-DELETE": "on",  # the bed-day is removed: it waits for another invoice
        "lines-TOTAL_FORMS": 2,
        "lines-INITIAL_FORMS": 0,
        "lines-0-service": xray.pk,
        "lines-0-quantity": "1",
        "lines-1-service": "",
        "lines-1-quantity": "1",
    }
    bad = client.post(
        url,
        {**data, "lines-0-service": "", "charges-1-DELETE": "", "charges-0-DELETE": "on"}
        | {"charges-1-charge": 999999},
    )
    assert bad.status_code == 400 and "not waiting on this encounter" in bad.content.decode()
    assert Invoice.objects.filter(encounter=encounter).count() == 1  # nothing written

    done = client.post(url, data)
    invoice = Invoice.objects.get(encounter=encounter, payer=insurer)
    assert done.status_code == 302 and done["Location"] == reverse("billing:invoice", args=[invoice.pk])
    assert sorted(invoice.lines.values_list("description", flat=True)) == [
        "Amoxicillin 500 mg capsule (AMX500)",
        "Chest X-ray",
    ]
    assert invoice.total == Decimal("91.00")
    assert InvoiceLine.objects.get(pk=bed_day.pk).invoice.payer.name == billing.SELF_PAY
    assert "Owusu, Ama" in client.get(reverse("billing:unbilled")).content.decode()  # the bed-day still waits


def test_a_supplementary_invoice_names_its_original_and_the_original_lists_it(client):
    encounter = EncounterFactory()
    original = billing.invoice_issue(invoice_id=capture(encounter, "Consultation", "40.00").invoice_id)
    later = capture(encounter, "Paracetamol", "1.50").invoice
    sign_in(client, UserFactory(username="suppl-clerk", roles=["billing_clerk"]))
    page = client.get(reverse("billing:invoice", args=[later.pk])).content.decode()
    assert "Supplementary invoice" in page and original.number in page
    printed = client.get(reverse("billing:print", args=[later.pk])).content.decode()
    assert "Supplementary invoice" in printed and original.number in printed
    assert str(later) in client.get(reverse("billing:invoice", args=[original.pk])).content.decode()
    notice = client.get(reverse("billing:new_invoice", args=[encounter.pk])).content.decode()
    assert original.number in notice and "A new invoice to the same payer is its supplementary invoice." in notice


def test_a_receipt_is_printed_with_the_hospitals_letterhead_and_currency(client, settings):
    settings.HOSPITAL_NAME, settings.HOSPITAL_CURRENCY = "St. Example Hospital", "GHS"
    settings.HOSPITAL_ADDRESS = ["12 Ring Road", "Accra"]
    invoice = billing.invoice_issue(invoice_id=capture(EncounterFactory(), "Consultation", "80.00").invoice_id)
    payment = billing.payment_record(invoice_id=invoice.pk, amount=Decimal("30.00"), method="cash")
    sign_in(client, UserFactory(username="receipt-clerk", roles=["billing_clerk"]))
    receipt = client.get(reverse("billing:receipt", args=[payment.pk])).content.decode()
    for text in ("St. Example Hospital", "12 Ring Road", "Accra", "GHS 30.00", invoice.number, "GHS 50.00", "Cash"):
        assert text in receipt, text
    assert 'src="/static/img/hospital-logo' in receipt
    printed = client.get(reverse("billing:print", args=[invoice.pk])).content.decode()
    assert "St. Example Hospital" in printed and "GHS" in printed and "30.00" in printed
    assert client.get(reverse("billing:receipt", args=[999999])).status_code == 404


SIZES = {"1366": {"width": 1366, "height": 768}, "768": {"width": 768, "height": 1024}}


def shots(page, name: str) -> None:
    """The page at a laptop's and a tablet's size (portrait), each fitting its width."""
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        shot(page, f"{name}-{label}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {label} px screen"
    page.set_viewport_size(SIZES["1366"])


def test_billing_clerk_day(browse):
    UserFactory(username="clerk", roles=["billing_clerk"])
    encounter = EncounterFactory(patient=PatientFactory(given_name="Kwame", family_name="Mensah"))
    capture(encounter, "Amoxicillin 500 mg capsule (AMX500)", "2.00", quantity=3)
    bed_day = capture(encounter, "Bed-day, night of 01 Dec 2026: Ward A, bed 3", "120.00")
    PayerFactory(name="Acme Health", payment_terms_days=30)
    ServiceFactory(code="XR", name="Chest X-ray", price=Decimal("85.00"))
    page = browse("clerk")
    page.set_viewport_size(SIZES["1366"])

    # The worklist: the encounter waits with its care.
    page.goto("/billing/unbilled/")
    expect(page.get_by_role("cell", name="126.00")).to_be_visible()
    shots(page, "billing-worklist")
    page.get_by_role("link", name="Bill Mensah's encounter").click()

    # The invoice starts from the care: the drug and the bed-day, with their prices.
    expect(page.get_by_role("heading", name="New invoice")).to_be_visible()
    expect(page.get_by_text("Amoxicillin 500 mg capsule (AMX500)")).to_be_visible()
    expect(page.locator("[data-total]")).to_have_text("126.00")
    page.get_by_label("Payer").select_option(label="Acme Health")
    page.locator("#id_lines-0-service").select_option(label="XR Chest X-ray — 85.00")
    expect(page.locator("[data-total]")).to_have_text("211.00")
    page.get_by_role("button", name="Add a service").click()
    page.locator("#id_lines-1-service").select_option(label="XR Chest X-ray — 85.00")
    page.locator("#id_lines-1-quantity").fill("2")
    expect(page.locator("[data-total]")).to_have_text("381.00")
    page.get_by_role("button", name="Remove this service").last.click()  # added by mistake
    page.get_by_role("button", name="Remove Bed-day, night of 01 Dec 2026: Ward A, bed 3").click()  # billed later
    expect(page.locator("[data-total]")).to_have_text("91.00")
    shots(page, "billing-new-invoice")
    page.get_by_role("button", name="Create draft invoice").click()
    expect(page.get_by_text("Draft invoice created.")).to_be_visible()
    expect(page.get_by_text("Not owed yet")).to_be_visible()
    invoice = Invoice.objects.using("default").get(encounter=encounter, payer__name="Acme Health")
    assert invoice.total == Decimal("91.00") and invoice.lines.count() == 2
    assert InvoiceLine.objects.using("default").get(pk=bed_day.pk).invoice.status == "draft"  # still waiting

    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_text("Invoice issued.")).to_be_visible()
    number = Invoice.objects.using("default").get(pk=invoice.pk).number
    expect(page.get_by_role("heading", name=number)).to_be_visible()

    payment = page.get_by_role("form", name="Record a payment")
    payment.get_by_label("Amount").fill("200")
    payment.get_by_label("Method").select_option("card")
    payment.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("The payment exceeds the outstanding amount (91.00).")).to_be_visible()
    assert not Payment.objects.using("default").exists()
    assert page.get_by_role("form", name="Record a payment").get_by_label("Amount").input_value() == "200"
    page.get_by_role("form", name="Record a payment").get_by_label("Amount").fill("60")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Payment recorded.")).to_be_visible()
    expect(page.get_by_text("USD 31.00")).to_be_visible()  # outstanding: 91 - 60
    shots(page, "billing-invoice")

    receipt = Payment.objects.using("default").get()
    page.get_by_role("link", name=f"Receipt {receipt.pk}").click()
    expect(page.get_by_role("heading", name=f"Receipt {receipt.pk}")).to_be_visible()
    expect(page.get_by_text("HMIS General Hospital")).to_be_visible()
    expect(page.get_by_text("USD 60.00")).to_be_visible()
    shots(page, "billing-receipt")
    page.goto(f"/billing/invoices/{invoice.pk}/print/")
    expect(page.get_by_role("heading", name=f"Invoice {number}")).to_be_visible()
    shots(page, "billing-invoice-print")

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
    expect(page.get_by_role("note")).to_contain_text("Entered twice")

    page.get_by_role("link", name="Billing", exact=True).click()
    shots(page, "billing-invoices")
    page.get_by_label("Search").fill("Mensah")
    page.get_by_label("Status").select_option("partially_paid")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=number)).to_be_visible()
    assert page.locator("table.report tbody tr").count() == 1  # the voided draft is filtered out
