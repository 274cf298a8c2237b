import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Invoice
from clinical import commands as clinical
from core.errors import Conflict, InvalidInput
from pharmacy import commands, queries
from pharmacy.models import Dispense, OrderCheck, Prescription, StockBatch, StockMovement
from tests.support.factories.clinical import EncounterFactory, UserFactory
from tests.support.factories.pharmacy import TODAY, amoxicillin, days, prescribe, receive
from tests.support.stack import in_parallel, on_stack


def ledger_matches(drug) -> bool:
    for batch in StockBatch.objects.filter(drug=drug):
        total = StockMovement.objects.filter(batch=batch).aggregate(t=Sum("quantity"))["t"] or 0
        if total != batch.quantity_on_hand:
            return False
    return True


@pytest.mark.django_db
class TestDispensing:
    def test_fefo_allocates_across_batches_first_expiry_first(self):
        drug = amoxicillin()
        late = receive(drug, "LATE", 300, 50)
        soon = receive(drug, "SOON", 30, 4)
        middle = receive(drug, "MID", 90, 5)

        dispense = commands.medication_dispense(prescription_id=prescribe(drug, quantity=12).pk)

        taken = [(a.batch.lot_number, a.quantity) for a in dispense.allocations.order_by("id")]
        assert taken == [("SOON", 4), ("MID", 5), ("LATE", 3)]
        for batch, left in ((soon, 0), (middle, 0), (late, 47)):
            batch.refresh_from_db()
            assert batch.quantity_on_hand == left
        assert ledger_matches(drug)

    def test_expired_batches_are_never_used(self):
        drug = amoxicillin()
        with time_machine.travel(TODAY - datetime.timedelta(days=60)):
            receive(drug, "OLD", -30, 100)  # received two months ago, expired a month ago
        fresh = receive(drug, "NEW", 200, 3)
        with pytest.raises(Conflict) as caught:
            commands.medication_dispense(prescription_id=prescribe(drug, quantity=5).pk)
        assert "Insufficient stock" in str(caught.value) and "3 available" in str(caught.value)
        dispense = commands.medication_dispense(prescription_id=prescribe(drug, quantity=3).pk)
        assert [a.batch_id for a in dispense.allocations.all()] == [fresh.pk]

    def test_insufficient_stock_leaves_everything_untouched(self):
        drug = amoxicillin()
        batch = receive(drug, "A", 100, 2)
        prescription = prescribe(drug, quantity=5)
        with pytest.raises(Conflict):
            commands.medication_dispense(prescription_id=prescription.pk)
        batch.refresh_from_db()
        assert batch.quantity_on_hand == 2
        assert not Dispense.objects.exists() and not Invoice.objects.exists()
        prescription.refresh_from_db()
        assert prescription.status == Prescription.Status.ACTIVE

    def test_partial_then_complete_dispensing(self):
        drug = amoxicillin()
        receive(drug, "A", 100, 50)
        prescription = prescribe(drug, quantity=10)
        commands.medication_dispense(prescription_id=prescription.pk, quantity=4)
        prescription.refresh_from_db()
        assert prescription.status == Prescription.Status.PARTIALLY_DISPENSED and prescription.remaining == 6
        with pytest.raises(InvalidInput):
            commands.medication_dispense(prescription_id=prescription.pk, quantity=7)
        commands.medication_dispense(prescription_id=prescription.pk)
        prescription.refresh_from_db()
        assert prescription.status == Prescription.Status.DISPENSED
        with pytest.raises(Conflict):
            commands.medication_dispense(prescription_id=prescription.pk)

    def test_an_allergy_recorded_after_the_order_blocks_dispensing_unless_overridden_and_it_is_recorded(self):
        drug = amoxicillin(ingredients=["amoxicillin", "clavulanic acid"])
        receive(drug, "A", 100, 50)
        encounter = EncounterFactory()
        prescription = prescribe(drug, encounter=encounter)
        clinical.allergy_record(
            patient_id=encounter.patient_id, substance="Amoxicillin", severity="severe", reaction="hives"
        )
        with pytest.raises(Conflict) as caught:
            commands.medication_dispense(prescription_id=prescription.pk)
        assert "override_reason" in caught.value.errors
        assert "Allergy to Amoxicillin (severe, hives, unconfirmed)" in caught.value.errors["override_reason"][0]
        assert not Dispense.objects.exists() and not OrderCheck.objects.filter(stage="dispensing").exists()

        pharmacist = UserFactory()
        dispense = commands.medication_dispense(
            prescription_id=prescription.pk,
            dispensed_by=pharmacist,
            override_reason="Desensitised; consultant approved",
        )
        assert dispense.override_reason == "Desensitised; consultant approved"
        assert dispense.override_by == pharmacist
        check = OrderCheck.objects.get(dispense=dispense, rule="allergy_drug")
        assert check.action == "block" and check.override_reason == "Desensitised; consultant approved"
        assert check.decided_by == pharmacist and check.stage == "dispensing"

    def test_a_late_dispense_still_meets_an_allergy_recorded_after_the_course_would_have_ended(self):
        drug = amoxicillin()
        receive(drug, "A", 100, 50)
        encounter = EncounterFactory()
        prescription = prescribe(drug, encounter=encounter)  # a 5-day course, never collected
        Prescription.objects.filter(pk=prescription.pk).update(
            prescribed_at=prescription.prescribed_at - datetime.timedelta(days=20)
        )
        clinical.allergy_record(patient_id=encounter.patient_id, allergen="class:penicillins", severity="severe")
        with pytest.raises(Conflict) as caught:
            commands.medication_dispense(prescription_id=prescription.pk, dispensed_by=UserFactory())
        assert "Allergy to Penicillins" in caught.value.errors["override_reason"][0]

    def test_no_override_is_recorded_when_nothing_blocks(self):
        drug = amoxicillin()
        receive(drug, "A", 100, 50)
        dispense = commands.medication_dispense(prescription_id=prescribe(drug).pk, override_reason="just because")
        assert dispense.override_reason == "" and dispense.override_by is None
        assert not OrderCheck.objects.filter(dispense=dispense, action="block").exists()

    def test_the_charge_lands_on_the_encounters_draft_invoice_at_the_drug_price(self):
        drug = amoxicillin(unit_price=Decimal("1.25"))
        receive(drug, "A", 100, 50)
        encounter = EncounterFactory()
        first = commands.medication_dispense(prescription_id=prescribe(drug, quantity=10, encounter=encounter).pk)
        second = commands.medication_dispense(prescription_id=prescribe(drug, quantity=4, encounter=encounter).pk)

        invoice = Invoice.objects.get(encounter=encounter)
        assert invoice.status == Invoice.Status.DRAFT and invoice.payer.name == commands.SELF_PAY
        assert [(line.quantity, line.unit_price, line.line_total) for line in invoice.lines.order_by("id")] == [
            (Decimal("10.00"), Decimal("1.25"), Decimal("12.50")),
            (Decimal("4.00"), Decimal("1.25"), Decimal("5.00")),
        ]
        assert invoice.total == Decimal("17.50")
        assert first.invoice_line.invoice_id == second.invoice_line.invoice_id == invoice.pk

    def test_an_issued_invoice_gets_a_new_draft_for_later_charges(self):
        from billing import commands as billing

        drug = amoxicillin()
        receive(drug, "A", 100, 50)
        encounter = EncounterFactory()
        commands.medication_dispense(prescription_id=prescribe(drug, quantity=2, encounter=encounter).pk)
        billing.invoice_issue(invoice_id=Invoice.objects.get(encounter=encounter).pk)
        commands.medication_dispense(prescription_id=prescribe(drug, quantity=3, encounter=encounter).pk)
        assert sorted(Invoice.objects.filter(encounter=encounter).values_list("status", flat=True)) == [
            "draft",
            "issued",
        ]
        issued = Invoice.objects.get(encounter=encounter, status="issued")
        assert Invoice.objects.get(encounter=encounter, status="draft").supplements_id == issued.pk

    def test_charges_dispensed_before_billing_join_the_payers_invoice_and_later_ones_its_draft(self):
        from billing import commands as billing
        from tests.support.factories.billing import PayerFactory

        drug = amoxicillin(unit_price=Decimal("2.00"))
        receive(drug, "A", 100, 50)
        encounter = EncounterFactory()
        early = commands.medication_dispense(prescription_id=prescribe(drug, quantity=3, encounter=encounter).pk)
        insurer = PayerFactory(name="Acme Health")
        invoice = billing.invoice_create(
            patient_id=encounter.patient_id,
            payer_id=insurer.pk,
            encounter_id=encounter.pk,
            lines=[{"charge": early.invoice_line_id}],
        )
        early.refresh_from_db()
        assert early.invoice_line.invoice_id == invoice.pk and invoice.total == Decimal("6.00")
        later = commands.medication_dispense(prescription_id=prescribe(drug, quantity=1, encounter=encounter).pk)
        assert later.invoice_line.invoice_id == invoice.pk
        assert not Invoice.objects.filter(encounter=encounter, status="draft").exclude(payer=insurer).exists()

    def test_a_charge_goes_to_the_payer_the_encounter_was_billed_to_not_self_pay(self):
        from billing import commands as billing
        from billing.models import Payer
        from tests.support.factories.billing import PayerFactory, ServiceFactory

        drug = amoxicillin(unit_price=Decimal("2.00"))
        receive(drug, "A", 100, 50)
        encounter = EncounterFactory()
        insurer = PayerFactory(name="Acme Health")
        visit = billing.invoice_create(
            patient_id=encounter.patient_id,
            payer_id=insurer.pk,
            encounter_id=encounter.pk,
            lines=[{"service": ServiceFactory().pk}],
        )
        billing.invoice_issue(invoice_id=visit.pk)

        dispense = commands.medication_dispense(prescription_id=prescribe(drug, quantity=3, encounter=encounter).pk)
        charged = dispense.invoice_line.invoice
        assert (charged.payer_id, charged.status, charged.total) == (insurer.pk, "draft", Decimal("6.00"))
        assert charged.due_date == charged.posting_date + datetime.timedelta(days=insurer.payment_terms_days)
        assert not Payer.objects.filter(name=commands.SELF_PAY).exists()
        # The next charge joins that draft.
        again = commands.medication_dispense(prescription_id=prescribe(drug, quantity=1, encounter=encounter).pk)
        assert again.invoice_line.invoice_id == charged.pk
        assert Invoice.objects.filter(encounter=encounter).count() == 2

    def test_a_void_invoice_does_not_say_who_pays(self):
        from billing import commands as billing
        from tests.support.factories.billing import PayerFactory, ServiceFactory

        drug = amoxicillin()
        receive(drug, "A", 100, 50)
        encounter = EncounterFactory()
        wrong = billing.invoice_create(
            patient_id=encounter.patient_id,
            payer_id=PayerFactory(name="Wrong insurer").pk,
            encounter_id=encounter.pk,
            lines=[{"service": ServiceFactory().pk}],
        )
        billing.invoice_void(invoice_id=wrong.pk, reason="Wrong payer")
        dispense = commands.medication_dispense(prescription_id=prescribe(drug, quantity=2, encounter=encounter).pk)
        assert dispense.invoice_line.invoice.payer.name == commands.SELF_PAY

    def test_current_medications_are_the_dispensed_courses_still_running(self):
        from pharmacy.queries import current_medications

        drug = amoxicillin()
        receive(drug, "A", 100, 50)
        encounter = EncounterFactory()
        commands.medication_dispense(prescription_id=prescribe(drug, encounter=encounter).pk)
        meds = current_medications(patient_id=encounter.patient_id)
        assert [(m["drug"], m["frequency"]) for m in meds] == [("Amoxicillin 500 mg capsule", "three times a day")]
        with time_machine.travel(TODAY + datetime.timedelta(days=30)):
            assert current_medications(patient_id=encounter.patient_id) == []


@pytest.mark.django_db
class TestStock:
    def test_receiving_more_of_a_lot_adds_to_it(self):
        drug = amoxicillin()
        batch = receive(drug, "L1", 100, 10)
        again = receive(drug, "L1", 100, 5)
        assert again.pk == batch.pk and again.quantity_on_hand == 15
        with pytest.raises(InvalidInput):
            receive(drug, "L1", 101, 5)
        with pytest.raises(InvalidInput):
            receive(drug, "L2", -1, 5)

    def test_adjustments_need_a_reason_and_never_go_below_zero(self):
        drug = amoxicillin()
        batch = receive(drug, "L1", 100, 10)
        commands.stock_adjust(batch_id=batch.pk, quantity_change=-3, reason="damaged", note="dropped")
        with pytest.raises(InvalidInput):
            commands.stock_adjust(batch_id=batch.pk, quantity_change=-8, reason="count_correction")
        with pytest.raises(InvalidInput):
            commands.stock_adjust(batch_id=batch.pk, quantity_change=-1, reason="lost in the mail")
        batch.refresh_from_db()
        assert batch.quantity_on_hand == 7 and ledger_matches(drug)

    def test_the_database_refuses_negative_stock(self):
        batch = receive(amoxicillin(), "L1", 100, 1)
        with pytest.raises(IntegrityError), transaction.atomic():
            StockBatch.objects.filter(pk=batch.pk).update(quantity_on_hand=-1)

    def test_stock_queries(self):
        drug = amoxicillin(reorder_level=20)
        other = amoxicillin(code="PARA", generic_name="Paracetamol", ingredients=["paracetamol"], reorder_level=5)
        receive(drug, "A", 20, 8)
        receive(drug, "B", 200, 7)
        receive(other, "C", 200, 100)
        levels = {d.code: d for d in queries.stock_levels()}
        assert levels["AMOX500"].on_hand == 15 and levels["AMOX500"].below_reorder
        assert levels["AMOX500"].earliest_expiry == days(20)
        assert levels["PARA"].on_hand == 100 and not levels["PARA"].below_reorder
        assert [d.code for d in queries.low_stock()] == ["AMOX500"]
        assert [b.lot_number for b in queries.expiring_batches(within_days=30)] == ["A"]
        assert [b.lot_number for b in queries.expiring_batches(within_days=365)] == ["A", "B", "C"]


@pytest.mark.django_db
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    operations=st.lists(
        st.one_of(
            st.tuples(st.just("receive"), st.integers(0, 2), st.integers(1, 40)),
            st.tuples(st.just("adjust"), st.integers(0, 2), st.integers(-30, 30)),
            st.tuples(st.just("dispense"), st.integers(0, 2), st.integers(1, 25)),
        ),
        max_size=25,
    )
)
def test_the_ledger_always_sums_to_on_hand(operations):
    """Any sequence of receipts, adjustments and dispenses: on hand == sum of movements, never negative."""
    with transaction.atomic():
        drug = amoxicillin(code=f"H{StockBatch.objects.count()}{len(operations)}{id(operations) % 10_000}")
        encounter = EncounterFactory()
        for kind, lot, amount in operations:
            try:
                with transaction.atomic():
                    if kind == "receive":
                        receive(drug, f"LOT{lot}", 30 * (lot + 1), amount)
                    elif kind == "adjust":
                        batch = StockBatch.objects.filter(drug=drug, lot_number=f"LOT{lot}").first()
                        if batch:
                            commands.stock_adjust(batch_id=batch.pk, quantity_change=amount, reason="count_correction")
                    else:
                        commands.medication_dispense(
                            prescription_id=prescribe(drug, quantity=amount, encounter=encounter).pk
                        )
            except (InvalidInput, Conflict):
                pass  # refused operations must leave no trace
            assert ledger_matches(drug)
            assert not StockBatch.objects.filter(drug=drug, quantity_on_hand__lt=0).exists()
        transaction.set_rollback(True)


@on_stack
def test_twenty_parallel_dispenses_of_the_last_ten_units_sell_exactly_ten():
    drug = amoxicillin()
    receive(drug, "LAST-A", 40, 6)
    receive(drug, "LAST-B", 80, 4)
    prescriptions = [prescribe(drug, quantity=1) for _ in range(20)]

    results = in_parallel(20, lambda i: commands.medication_dispense(prescription_id=prescriptions[i].pk))

    dispensed = [r for r in results if isinstance(r, Dispense)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(dispensed) == 10 and len(refused) == 10, results
    assert all("Insufficient stock" in str(r) for r in refused)
    assert StockBatch.objects.filter(drug=drug).aggregate(t=Sum("quantity_on_hand"))["t"] == 0
    assert ledger_matches(drug)
    assert Dispense.objects.count() == 10
