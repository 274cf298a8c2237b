"""The Django admin: every page renders, and its saves and actions go through the commands."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from billing import commands as billing
from billing import models as billing_models
from billing.models import Invoice, Payment
from clinical import commands as clinical
from clinical.models import Diagnosis, Encounter, LabResult, Patient
from pharmacy.models import Prescription, StockBatch
from tests.support import data
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def one_of_each():
    return data.one_of_each()


def test_every_changelist_add_and_change_page_renders(staff, one_of_each):
    for model, model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        changelist = staff.get(reverse(f"admin:{info}_changelist"))
        assert changelist.status_code == 200, info
        if model_admin.has_add_permission(changelist.wsgi_request):
            assert staff.get(reverse(f"admin:{info}_add")).status_code == 200, info
        obj = model._default_manager.first()
        if obj is not None:
            assert staff.get(reverse(f"admin:{info}_change", args=[obj.pk])).status_code == 200, info


def test_changelists_search_and_filter(staff, one_of_each):
    assert staff.get("/admin/clinical/patient/", {"q": "T0"}).status_code == 200
    assert staff.get("/admin/billing/invoice/", {"status__exact": "partially_paid"}).status_code == 200
    assert staff.get("/admin/clinical/icd10code/", {"q": "diabetes"}).status_code == 200


def test_admin_registers_a_patient_through_the_command(staff):
    response = staff.post(
        "/admin/clinical/patient/add/",
        {"mrn": "", "given_name": "Sofia", "family_name": "Rossi", "date_of_birth": "1988-08-14", "sex": "female"},
    )
    assert response.status_code == 302
    assert Patient.objects.get(family_name="Rossi").mrn.startswith("MRN")
    future = staff.post(
        "/admin/clinical/patient/add/",
        {"given_name": "A", "family_name": "Future", "date_of_birth": "2999-01-01", "sex": "female"},
    )
    assert future.status_code == 200 and "cannot be in the future" in future.content.decode()


def test_admin_creates_an_invoice_with_lines_and_totals_from_the_command(staff):
    patient, payer, service = PatientFactory(), PayerFactory(payment_terms_days=10), ServiceFactory(price=Decimal("42"))
    form = {
        "patient": patient.pk,
        "payer": payer.pk,
        "posting_date": "2026-03-01",
        "due_date": "",
        "notes": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-service": service.pk,
        "lines-0-quantity": "2",
        "lines-0-discount": "4",
        "lines-1-description": "Dressing",
        "lines-1-unit_price": "3.50",
        "lines-1-quantity": "1",
        "lines-1-discount": "0",
    }
    for prefix in ("payments", "credit_notes"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = staff.post("/admin/billing/invoice/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("83.50") and str(invoice.due_date) == "2026-03-11"
    assert invoice.lines.count() == 2


def test_admin_refuses_a_line_discount_above_its_amount(staff):
    form = {
        "patient": PatientFactory().pk,
        "payer": PayerFactory().pk,
        "posting_date": "2026-03-01",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-service": ServiceFactory(price=Decimal("10")).pk,
        "lines-0-quantity": "1",
        "lines-0-discount": "11",
    }
    for prefix in ("payments", "credit_notes"):
        form.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = staff.post("/admin/billing/invoice/add/", form)
    assert response.status_code == 200 and "Discount cannot exceed" in response.content.decode()
    assert not Invoice.objects.exists()


def test_issue_and_void_actions_go_through_commands(staff):
    drafts = [
        billing.invoice_create(
            patient_id=PatientFactory().pk, payer_id=PayerFactory().pk, lines=[{"service": ServiceFactory().pk}]
        )
        for _ in range(2)
    ]
    ids = [str(d.pk) for d in drafts]
    staff.post("/admin/billing/invoice/", {"action": "issue_invoices", "_selected_action": ids})
    assert sorted(Invoice.objects.values_list("status", flat=True)) == ["issued", "issued"]
    assert all(Invoice.objects.values_list("number", flat=True))

    billing.payment_record(invoice_id=drafts[1].pk, amount=Decimal("1"), method="cash")
    confirm = staff.post("/admin/billing/invoice/", {"action": "void_invoices", "_selected_action": ids})
    assert confirm.status_code == 200 and b"reason" in confirm.content
    staff.post(
        "/admin/billing/invoice/",
        {"action": "void_invoices", "_selected_action": ids, "apply": "1", "reason": "Duplicate"},
    )
    assert Invoice.objects.get(pk=drafts[0].pk).status == "void"
    assert Invoice.objects.get(pk=drafts[1].pk).status == "partially_paid"  # paid: refused, with a message


def test_a_payment_added_inline_goes_through_the_command(staff):
    invoice = billing.invoice_create(
        patient_id=PatientFactory().pk,
        payer_id=PayerFactory().pk,
        lines=[{"service": ServiceFactory(price=Decimal("50")).pk}],
    )
    billing.invoice_issue(invoice_id=invoice.pk)
    form = {
        "notes": "",
        "lines-TOTAL_FORMS": "0",  # the read-only lines inline: a browser sends its management form too
        "lines-INITIAL_FORMS": "0",
        "payments-TOTAL_FORMS": "1",
        "payments-INITIAL_FORMS": "0",
        "payments-0-amount": "20",
        "payments-0-method": "cash",
        "payments-0-reference": "R1",
        "payments-0-paid_on": timezone.localdate().isoformat(),
        "credit_notes-TOTAL_FORMS": "0",
        "credit_notes-INITIAL_FORMS": "0",
    }
    response = staff.post(f"/admin/billing/invoice/{invoice.pk}/change/", form)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("20.00") and invoice.status == "partially_paid"

    over = staff.post(f"/admin/billing/invoice/{invoice.pk}/change/", {**form, "payments-0-amount": "31"}, follow=True)
    assert "exceeds the outstanding amount" in over.content.decode()
    assert Payment.objects.count() == 1


def test_a_domain_error_in_the_admin_is_a_message_not_a_crash(staff):
    encounter = EncounterFactory()
    clinical.encounter_close(encounter_id=encounter.pk)
    response = staff.post(
        "/admin/clinical/diagnosis/add/", {"encounter": encounter.pk, "code": "I10", "is_primary": "on"}, follow=True
    )
    assert response.status_code == 200
    assert "is closed" in response.content.decode()
    assert not Diagnosis.objects.exists()


def test_close_action(staff):
    encounter = EncounterFactory()
    staff.post("/admin/clinical/encounter/", {"action": "close_encounters", "_selected_action": [encounter.pk]})
    assert Encounter.objects.get(pk=encounter.pk).status == "closed"


def test_pharmacy_admin_receives_adjusts_and_dispenses_through_commands(staff, one_of_each):
    batch = StockBatch.objects.get()
    form = {"action": "adjust_stock", "_selected_action": [batch.pk]}
    assert b"quantity_change" in staff.post("/admin/pharmacy/stockbatch/", form).content
    staff.post("/admin/pharmacy/stockbatch/", {**form, "apply": "1", "quantity_change": "-6", "reason": "damaged"})
    batch.refresh_from_db()
    assert batch.quantity_on_hand == 40  # 50 received, 4 dispensed, 6 damaged

    prescription = Prescription.objects.get()
    form = {"action": "dispense", "_selected_action": [prescription.pk]}
    confirm = staff.post("/admin/pharmacy/prescription/", form)
    assert b"First-expiry-first-out will take" in confirm.content and b"lot L1" in confirm.content
    staff.post("/admin/pharmacy/prescription/", {**form, "apply": "1", "quantity": "", "allergy_override_reason": ""})
    prescription.refresh_from_db()
    assert prescription.status == "dispensed"

    received = staff.post(
        "/admin/pharmacy/stockbatch/add/",
        {
            "drug": batch.drug_id,
            "lot_number": "L2",
            "expiry_date": "2099-01-01",
            "quantity_on_hand": "30",
            "unit_cost": "0.02",
        },
    )
    assert received.status_code == 302
    assert StockBatch.objects.get(lot_number="L2").movements.get().quantity == 30


def test_payments_and_credit_notes_cannot_be_deleted_in_the_admin(staff, one_of_each):
    """Deleting one would leave the invoice's amount paid or credited wrong: they are history."""
    payment, credit = Payment.objects.get(), billing_models.CreditNote.objects.get()
    assert staff.get(f"/admin/billing/payment/{payment.pk}/delete/").status_code == 403
    assert staff.post(f"/admin/billing/creditnote/{credit.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_admin_records_a_lab_result_through_the_command_and_never_edits_one(staff):
    yesterday = timezone.now() - datetime.timedelta(days=1)
    encounter = EncounterFactory(started_at=yesterday - datetime.timedelta(hours=1))
    form = {"encounter": encounter.pk, "test_code": "2823-3", "value": "6.6", "unit": "mmol/l"}
    form |= {"resulted_at_0": yesterday.date().isoformat(), "resulted_at_1": yesterday.strftime("%H:%M:%S")}
    response = staff.post("/admin/clinical/labresult/add/", form)
    assert response.status_code == 302 and response["Location"] == "/admin/clinical/labresult/"
    result = LabResult.objects.get()
    assert (result.flag, result.unit, result.patient_id) == ("critical_high", "mmol/L", encounter.patient_id)
    refused = staff.post("/admin/clinical/labresult/add/", {**form, "unit": "mg/dL"}, follow=True)
    assert "Not saved. unit: Potassium is recorded in mmol/L" in refused.content.decode()
    assert LabResult.objects.count() == 1
    change = staff.get(f"/admin/clinical/labresult/{result.pk}/change/").content.decode()
    assert 'name="value"' not in change  # read-only: a corrected result is a new result
