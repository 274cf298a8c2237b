"""Money moves on real days, bills stay readable, a price is the price list's, and wrong input is a 400 on
the field that was wrong (found by a finance officer's and an attacker's review)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import commands as billing
from billing.models import Invoice, Payment
from core.errors import InvalidInput
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import PatientFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def issued(posted=TODAY - 10 * DAY, price="100.00"):
    invoice = billing.invoice_create(
        patient_id=PatientFactory().pk,
        payer_id=PayerFactory().pk,
        posting_date=posted,
        lines=[{"service": ServiceFactory(price=Decimal(price)).pk}],
    )
    return billing.invoice_issue(invoice_id=invoice.pk)


@pytest.mark.parametrize(("day", "problem"), [(TODAY + DAY, "future"), (TODAY - 11 * DAY, "before the invoice")])
def test_payments_and_credit_notes_are_dated_between_posting_and_today(day, problem):
    invoice = issued()
    with pytest.raises(InvalidInput, match=problem) as caught:
        billing.payment_record(invoice_id=invoice.pk, amount=Decimal("10"), method="cash", paid_on=day)
    assert "paid_on" in caught.value.errors
    with pytest.raises(InvalidInput, match=problem):
        billing.credit_note_create(invoice_id=invoice.pk, amount=Decimal("10"), reason="x", credited_on=day)
    assert not Payment.objects.exists() and Invoice.objects.get(pk=invoice.pk).amount_credited == 0
    billing.payment_record(invoice_id=invoice.pk, amount=Decimal("10"), method="cash", paid_on=TODAY - 10 * DAY)


def test_a_service_line_is_charged_at_the_price_list_price():
    service = ServiceFactory(price=Decimal("80.00"))
    with pytest.raises(InvalidInput) as caught:
        billing.invoice_create(
            patient_id=PatientFactory().pk,
            payer_id=PayerFactory().pk,
            lines=[{"service": service.pk, "unit_price": Decimal("1.00")}],
        )
    assert "unit_price" in caught.value.errors["lines"]["0"]
    same = billing.invoice_create(
        patient_id=PatientFactory().pk, payer_id=PayerFactory().pk, lines=[{"service": service.pk, "unit_price": 80}]
    )
    assert same.total == Decimal("80.00")
    assert not Invoice.objects.exclude(pk=same.pk).exists()


def test_an_invoice_takes_at_most_500_lines():
    service = ServiceFactory()
    with pytest.raises(InvalidInput, match="at most 500"):
        billing.invoice_create(
            patient_id=PatientFactory().pk, payer_id=PayerFactory().pk, lines=[{"service": service.pk}] * 501
        )
    assert not Invoice.objects.exists()


def test_an_unknown_encounter_is_a_400_on_the_encounter_field(api_as):
    response = api_as("clinician").post("/api/v1/diagnoses/", {"encounter": 999999, "code": "I10"}, format="json")
    assert response.status_code == 400 and "encounter" in response.json()["errors"]
    vitals = api_as("nurse").post("/api/v1/vitals/", {"encounter": 999999, "pulse": 70}, format="json")
    assert vitals.status_code == 400 and "encounter" in vitals.json()["errors"]


def test_an_idempotency_key_on_a_route_that_takes_no_post_is_a_405(api_as):
    patient = PatientFactory()
    response = api_as("clinician").post(f"/api/v1/patients/{patient.pk}/", {}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 405
