import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import commands
from billing.models import CreditNote, Invoice, InvoiceLine, Payment
from core.errors import Conflict, InvalidInput, NotFound
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory
from tests.support.stack import in_parallel, on_stack


def make_invoice(*, lines=None, issue=False, **kwargs):
    patient = kwargs.pop("patient", None) or PatientFactory()
    invoice = commands.invoice_create(
        patient_id=patient.pk,
        payer_id=kwargs.pop("payer_id", None) or PayerFactory().pk,
        lines=lines or [{"service": ServiceFactory(price=Decimal("100.00")).pk, "quantity": 1}],
        **kwargs,
    )
    return commands.invoice_issue(invoice_id=invoice.pk) if issue else invoice


@pytest.mark.django_db
class TestInvoiceCreation:
    def test_totals_are_computed_in_decimal_with_price_list_defaults(self):
        xray = ServiceFactory(price=Decimal("45.50"))
        invoice = make_invoice(
            lines=[
                {"service": xray.pk, "quantity": Decimal("3")},
                # a charge off the price list is a described line (a service line takes the list's price)
                {
                    "description": "Consultation, agreed rate",
                    "quantity": 1,
                    "unit_price": Decimal("25.00"),
                    "discount": Decimal("5.01"),
                },
            ]
        )
        assert invoice.status == Invoice.Status.DRAFT and invoice.number is None
        assert [line.unit_price for line in invoice.lines.all()] == [Decimal("45.50"), Decimal("25.00")]
        assert invoice.subtotal == Decimal("161.50")
        assert invoice.discount_total == Decimal("5.01")
        assert invoice.total == Decimal("156.49")

    def test_due_date_defaults_to_posting_date_plus_payer_terms(self):
        payer = PayerFactory(payment_terms_days=45)
        invoice = make_invoice(payer_id=payer.pk, posting_date=datetime.date(2026, 1, 10))
        assert invoice.due_date == datetime.date(2026, 2, 24)
        explicit = make_invoice(posting_date=datetime.date(2026, 1, 10), due_date=datetime.date(2026, 1, 20))
        assert explicit.due_date == datetime.date(2026, 1, 20)

    def test_a_bad_line_writes_nothing_at_all(self):
        service = ServiceFactory()
        with pytest.raises(InvalidInput) as caught:
            make_invoice(
                lines=[
                    {"service": service.pk, "quantity": 1},
                    {"service": service.pk, "quantity": -2},
                    {"service": service.pk, "quantity": 1, "discount": Decimal("500")},
                ]
            )
        lines_errors = caught.value.errors["lines"]
        assert set(lines_errors) == {"1", "2"}
        assert "quantity" in lines_errors["1"] and "discount" in lines_errors["2"]
        assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()

    def test_encounter_must_belong_to_the_patient(self):
        with pytest.raises(InvalidInput) as caught:
            make_invoice(encounter_id=EncounterFactory().pk)
        assert "encounter" in caught.value.errors

    def test_due_date_before_posting_is_rejected(self):
        with pytest.raises(InvalidInput) as caught:
            make_invoice(posting_date=datetime.date(2026, 3, 1), due_date=datetime.date(2026, 2, 1))
        assert "due_date" in caught.value.errors

    def test_lines_are_added_only_to_drafts(self):
        invoice = make_invoice()
        commands.invoice_add_line(invoice_id=invoice.pk, service_id=ServiceFactory(price=Decimal("10")).pk, quantity=2)
        invoice.refresh_from_db()
        assert invoice.total == Decimal("120.00")
        commands.invoice_issue(invoice_id=invoice.pk)
        with pytest.raises(Conflict):
            commands.invoice_add_line(invoice_id=invoice.pk, service_id=ServiceFactory().pk)


def capture(encounter, description="Amoxicillin 500 mg (AMX500)", price="2.00", quantity=1):
    """A charge captured during the encounter, as pharmacy and inpatient capture theirs."""
    draft = commands.encounter_draft_invoice(encounter_id=encounter.pk)
    return commands.invoice_add_line(
        invoice_id=draft.pk, description=description, unit_price=Decimal(price), quantity=Decimal(quantity)
    )


@pytest.mark.django_db
class TestBillingAnEncountersCare:
    def test_the_invoice_takes_the_captured_charges_it_names_and_leaves_the_others_waiting(self):
        encounter = EncounterFactory()
        drug = capture(encounter, price="2.00", quantity=3)
        bed_day = capture(encounter, description="Bed-day, night of 01 Dec 2026", price="120.00")
        placeholder = drug.invoice
        assert placeholder.payer.name == commands.SELF_PAY  # nobody has said who pays yet
        insurer = PayerFactory(name="Acme Health")

        invoice = commands.invoice_create(
            patient_id=encounter.patient_id,
            payer_id=insurer.pk,
            encounter_id=encounter.pk,
            lines=[{"charge": drug.pk}, {"service": ServiceFactory(price=Decimal("85.00")).pk}],
        )
        drug.refresh_from_db()
        bed_day.refresh_from_db()
        placeholder.refresh_from_db()
        assert drug.invoice_id == invoice.pk  # moved, the same line: the dispense still points at it
        assert bed_day.invoice_id == placeholder.pk and placeholder.status == Invoice.Status.DRAFT
        assert (invoice.payer_id, invoice.total, invoice.supplements_id) == (insurer.pk, Decimal("91.00"), None)
        assert placeholder.total == Decimal("120.00")

        # The next charge goes to the payer's draft, never to a new self-pay one.
        later = capture(encounter, price="5.00")
        assert later.invoice_id == invoice.pk

    def test_a_draft_left_empty_by_the_move_is_void_and_says_where_its_charges_went(self):
        encounter = EncounterFactory()
        drug = capture(encounter)
        invoice = commands.invoice_create(
            patient_id=encounter.patient_id,
            payer_id=PayerFactory().pk,
            encounter_id=encounter.pk,
            lines=[{"charge": drug.pk}],
        )
        emptied = Invoice.objects.exclude(pk=invoice.pk).get()
        assert emptied.status == Invoice.Status.VOID and emptied.total == 0
        assert emptied.void_reason == f"Its charges moved to {invoice}."
        assert Invoice.objects.filter(encounter=encounter).exclude(status="void").get() == invoice

    def test_a_bad_line_or_a_foreign_charge_moves_nothing_and_writes_nothing(self):
        encounter, other = EncounterFactory(), EncounterFactory()
        drug, elsewhere = capture(encounter), capture(other)
        before = set(Invoice.objects.values_list("pk", "status", "total"))
        with pytest.raises(InvalidInput) as caught:
            commands.invoice_create(
                patient_id=encounter.patient_id,
                payer_id=PayerFactory().pk,
                encounter_id=encounter.pk,
                lines=[{"charge": drug.pk}, {"charge": elsewhere.pk}, {"service": ServiceFactory().pk, "quantity": 0}],
            )
        assert set(caught.value.errors["lines"]) == {"1", "2"}
        assert "charge" in caught.value.errors["lines"]["1"]
        assert set(Invoice.objects.values_list("pk", "status", "total")) == before
        assert InvoiceLine.objects.get(pk=drug.pk).invoice_id == drug.invoice_id

    def test_charges_after_the_invoice_is_issued_go_on_a_supplementary_invoice_of_the_same_payer(self):
        encounter = EncounterFactory()
        insurer = PayerFactory(name="Acme Health", payment_terms_days=30)
        original = make_invoice(patient=encounter.patient, payer_id=insurer.pk, encounter_id=encounter.pk, issue=True)

        later = capture(encounter, price="6.00")
        supplementary = later.invoice
        assert (supplementary.payer_id, supplementary.status) == (insurer.pk, Invoice.Status.DRAFT)
        assert supplementary.supplements_id == original.pk
        assert list(original.supplementary_invoices.all()) == [supplementary]
        assert capture(encounter).invoice_id == supplementary.pk  # one supplementary draft at a time
        commands.invoice_issue(invoice_id=supplementary.pk)
        # A third wave still names the original, not the supplementary before it.
        assert capture(encounter).invoice.supplements_id == original.pk

    def test_an_invoice_made_for_a_payer_already_billed_for_the_encounter_is_supplementary(self):
        encounter = EncounterFactory()
        insurer = PayerFactory()
        original = make_invoice(patient=encounter.patient, payer_id=insurer.pk, encounter_id=encounter.pk, issue=True)
        again = make_invoice(patient=encounter.patient, payer_id=insurer.pk, encounter_id=encounter.pk)
        other = make_invoice(patient=encounter.patient, payer_id=PayerFactory().pk, encounter_id=encounter.pk)
        assert again.supplements_id == original.pk and other.supplements_id is None

    def test_a_charge_cannot_be_named_without_an_encounter(self):
        drug = capture(EncounterFactory())
        with pytest.raises(InvalidInput) as caught:
            make_invoice(lines=[{"charge": drug.pk}])
        assert "charge" in caught.value.errors["lines"]["0"]
        assert Invoice.objects.count() == 1


@pytest.mark.django_db
class TestLifecycle:
    def test_issue_assigns_consecutive_numbers_per_posting_year(self):
        year = timezone.localdate().year
        first = make_invoice(issue=True)
        second = make_invoice(issue=True)
        old = make_invoice(issue=True, posting_date=datetime.date(2025, 12, 31), due_date=datetime.date(2026, 1, 30))
        assert (first.number, second.number) == (f"INV-{year}-000001", f"INV-{year}-000002")
        assert old.number == "INV-2025-000001"
        assert first.status == Invoice.Status.ISSUED and first.issued_at

    def test_a_draft_owes_nothing_until_it_is_issued(self):
        draft = make_invoice()
        assert draft.total == Decimal("100.00") and draft.outstanding is None
        issued = commands.invoice_issue(invoice_id=draft.pk)
        assert issued.outstanding == Decimal("100.00")

    def test_issuing_twice_is_a_conflict(self):
        invoice = make_invoice(issue=True)
        with pytest.raises(Conflict):
            commands.invoice_issue(invoice_id=invoice.pk)
        with pytest.raises(NotFound):
            commands.invoice_issue(invoice_id=999999)

    def test_partial_then_full_payment(self):
        invoice = make_invoice(issue=True)
        commands.payment_record(invoice_id=invoice.pk, amount=Decimal("40"), method="cash")
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PARTIALLY_PAID and invoice.outstanding == Decimal("60.00")
        commands.payment_record(invoice_id=invoice.pk, amount=Decimal("60.00"), method="card", reference="T-1")
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID and invoice.outstanding == Decimal("0.00")

    def test_payment_larger_than_outstanding_is_rejected(self):
        invoice = make_invoice(issue=True)
        with pytest.raises(InvalidInput) as caught:
            commands.payment_record(invoice_id=invoice.pk, amount=Decimal("100.01"), method="cash")
        assert "amount" in caught.value.errors
        assert not Payment.objects.exists()

    def test_credit_note_reduces_outstanding_and_can_settle(self):
        invoice = make_invoice(issue=True)
        commands.payment_record(invoice_id=invoice.pk, amount=Decimal("70"), method="cash")
        commands.credit_note_create(invoice_id=invoice.pk, amount=Decimal("30"), reason="Goodwill")
        invoice.refresh_from_db()
        assert invoice.amount_credited == Decimal("30.00") and invoice.outstanding == Decimal("0.00")
        assert invoice.status == Invoice.Status.PAID
        with pytest.raises(Conflict):
            commands.credit_note_create(invoice_id=invoice.pk, amount=Decimal("1"), reason="more")

    def test_credit_beyond_outstanding_is_rejected(self):
        invoice = make_invoice(issue=True)
        with pytest.raises(InvalidInput):
            commands.credit_note_create(invoice_id=invoice.pk, amount=Decimal("100.50"), reason="too much")
        assert not CreditNote.objects.exists()

    def test_void_only_when_nothing_is_paid(self):
        unpaid = make_invoice(issue=True)
        commands.invoice_void(invoice_id=unpaid.pk, reason="Duplicate")
        unpaid.refresh_from_db()
        assert unpaid.status == Invoice.Status.VOID and unpaid.outstanding == Decimal("0.00")
        with pytest.raises(Conflict):
            commands.payment_record(invoice_id=unpaid.pk, amount=Decimal("1"), method="cash")
        paid = make_invoice(issue=True)
        commands.payment_record(invoice_id=paid.pk, amount=Decimal("1"), method="cash")
        with pytest.raises(Conflict):
            commands.invoice_void(invoice_id=paid.pk, reason="x")

    def test_drafts_take_no_payment(self):
        with pytest.raises(Conflict):
            commands.payment_record(invoice_id=make_invoice().pk, amount=Decimal("1"), method="cash")

    def test_overpayment_is_refused_by_the_database_too(self):
        invoice = make_invoice(issue=True)
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("100.01"))


@on_stack
def test_ten_parallel_issues_get_ten_distinct_consecutive_numbers():
    drafts = [make_invoice() for _ in range(10)]
    year = timezone.localdate().year

    results = in_parallel(10, lambda i: commands.invoice_issue(invoice_id=drafts[i].pk).number)

    assert all(isinstance(r, str) for r in results), results
    assert sorted(results) == [f"INV-{year}-{n:06d}" for n in range(1, 11)]


@on_stack
def test_two_parallel_payments_that_together_overpay_are_not_both_accepted():
    invoice = make_invoice(issue=True)

    results = in_parallel(
        2, lambda i: commands.payment_record(invoice_id=invoice.pk, amount=Decimal("60"), method="cash")
    )

    accepted = [r for r in results if isinstance(r, Payment)]
    rejected = [r for r in results if isinstance(r, InvalidInput)]
    assert len(accepted) == 1 and len(rejected) == 1, results
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("60.00") and Payment.objects.count() == 1
