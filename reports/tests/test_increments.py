"""Views kept as tables and refreshed key by key (reports/engine/increments.py) hold exactly what their SELECT gives."""

import contextlib
import datetime
import random
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from billing import commands as billing
from billing.models import Payment
from core.errors import DomainError
from pharmacy import commands as pharmacy
from reports.engine import increments, refresh
from reports.engine.reconcile import Drift, _view_drift
from reports.projections import REGISTRY
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import PatientFactory
from tests.support.stack import on_stack

pytestmark = on_stack

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
INCREMENTAL = {
    name: [view for view in projection.views if view.increment]
    for name, projection in REGISTRY.items()
    if any(view.increment for view in projection.views)
}


@pytest.fixture
def modes(monkeypatch):
    """What each incremental refresh did: "all", "none" or "<n> keys", per view."""
    seen: list[tuple[str, str]] = []
    original = increments.refresh

    def recording(cursor, view, changes):
        mode = original(cursor, view, changes)
        seen.append((view.name, mode))
        return mode

    monkeypatch.setattr(increments, "refresh", recording)
    return seen


def drift_rows(name: str) -> int:
    drift = Drift()
    with connections["default"].cursor() as cursor:
        for view in INCREMENTAL[name]:
            _view_drift(cursor, view, drift)
    return drift.rows


def refresh_all() -> None:
    for name in INCREMENTAL:
        refresh.refresh(name)


def issued(amount: str, posted: datetime.date, payer=None):
    invoice = billing.invoice_create(
        patient_id=PatientFactory().pk,
        payer_id=(payer or PayerFactory()).pk,
        posting_date=posted,
        lines=[{"service": ServiceFactory(price=Decimal(amount)).pk}],
    )
    return billing.invoice_issue(invoice_id=invoice.pk)


def drug(code: str):
    return pharmacy.drug_create(
        code=code,
        generic_name=f"Drug {code}",
        form="tablet",
        strength="10 mg",
        unit="tablet",
        unit_price=Decimal("1.00"),
        reorder_level=5,
        ingredients=[f"Ingredient {code}"],
    )


def test_the_incremental_views_are_the_ones_that_follow_every_write():
    assert set(INCREMENTAL) == {
        "ar_aging",
        "ar_ledger_recent",
        "pharmacy_stock",
        "patient_alerts",
        "patient_view",
        "appointments",
        "queue_board",
        "bed_board",
    }


def test_random_writes_refreshed_key_by_key_match_the_views_select(modes):
    rng = random.Random(2026)
    payers = [PayerFactory(payment_terms_days=days) for days in (0, 30)]
    drugs = [drug(f"D{n}") for n in range(3)]
    invoices, batches = [], []
    refresh_all()  # the first refresh of each projection computes it whole
    assert {mode for _, mode in modes} == {"all"}
    modes.clear()
    for step in range(60):
        action = rng.choice(["invoice", "pay", "pay", "credit", "void", "receive", "adjust"])
        if action == "invoice" or not invoices:
            posted = TODAY - rng.choice([0, 0, 1, 40, 400]) * DAY
            invoices.append(issued(f"{rng.randint(10, 500)}.{rng.randint(0, 99):02d}", posted, rng.choice(payers)))
        elif action in ("pay", "credit", "void"):
            invoice = rng.choice(invoices)
            invoice.refresh_from_db()
            open_amount = invoice.total - invoice.amount_paid - invoice.amount_credited
            if action == "void" and invoice.amount_paid == 0 and invoice.status != "void":
                billing.invoice_void(invoice_id=invoice.pk, reason="entered twice")
            elif open_amount > 0 and invoice.status != "void":
                amount = min(open_amount, Decimal(rng.randint(1, 200)))
                if action == "pay":
                    billing.payment_record(invoice_id=invoice.pk, amount=amount, method="cash")
                else:
                    billing.credit_note_create(invoice_id=invoice.pk, amount=amount, reason="discount")
        elif action == "receive" or not batches:
            batches.append(
                pharmacy.stock_receive(
                    drug_id=rng.choice(drugs).pk,
                    lot_number=f"L{step}",
                    expiry_date=TODAY + rng.randint(-5, 400) * DAY,
                    quantity=rng.randint(1, 50),
                    unit_cost=Decimal("0.25"),
                )
            )
        else:
            batch = rng.choice(batches)
            batch.refresh_from_db()
            if batch.quantity_on_hand:
                pharmacy.stock_adjust(
                    batch_id=batch.pk, quantity_change=-min(batch.quantity_on_hand, 3), reason="damaged"
                )
        if step % 4 == 3:
            refresh_all()
            for name in INCREMENTAL:
                assert drift_rows(name) == 0, f"{name} after step {step}"
    assert modes and all(mode != "all" for _, mode in modes), modes


def test_random_clinical_writes_refreshed_patient_by_patient_match_the_alerts_select(modes):
    """The patient-alerts table follows allergies, orders (prescribed, stopped, cancelled), labs, vitals and
    the problem list one patient at a time, and always equals its SELECT run whole."""
    from clinical import commands as clinical
    from tests.support.factories.clinical import DepartmentFactory, UserFactory

    rng = random.Random(20)
    doctor = UserFactory(username="dr-increments", roles=["clinician"])
    department = DepartmentFactory()
    medicines = {
        name: pharmacy.drug_create(
            code=name[:6].upper(), generic_name=name.capitalize(), form="tablet", strength="1 mg", unit="tablet",
            unit_price=Decimal("0.10"), ingredients=[name],
        )
        for name in ("warfarin", "ibuprofen", "amoxicillin", "metformin", "simvastatin", "paracetamol")
    }  # fmt: skip
    encounters = [
        clinical.encounter_start(
            patient_id=PatientFactory().pk, type="outpatient", department_id=department.pk, attending_id=doctor.pk
        )
        for _ in range(4)
    ]
    orders = []
    refresh.refresh("patient_alerts")  # the first refresh computes it whole
    modes.clear()
    for step in range(40):
        encounter = rng.choice(encounters)
        action = rng.choice(["prescribe", "prescribe", "allergy", "lab", "problem", "vitals", "end"])
        if action == "prescribe" or (action == "end" and not orders):
            medicine = rng.choice(list(medicines.values()))
            orders.append(
                pharmacy.prescription_create(
                    encounter_id=encounter.pk,
                    drug_id=medicine.pk,
                    dose="1",
                    frequency="daily",
                    duration_days=rng.randint(1, 30),
                    quantity=5,
                    prescriber=doctor,
                    override_reason="test",
                )
            )
        elif action == "allergy":
            allergen = rng.choice(["class:penicillins", "drug:aspirin", "Bactrim?", "class:statins"])
            with contextlib.suppress(DomainError):  # already recorded
                clinical.allergy_record(
                    patient_id=encounter.patient_id,
                    allergen=allergen if ":" in allergen else "",
                    substance="" if ":" in allergen else allergen,
                    severity="mild",
                    verification=rng.choice(["unconfirmed", "confirmed"]),
                )
        elif action == "lab":
            test, value = rng.choice([("62238-1", 25), ("62238-1", 80), ("4548-4", 7), ("2823-3", 6.9)])
            clinical.lab_result_record(encounter_id=encounter.pk, test=test, value=Decimal(str(value)))
        elif action == "problem":
            clinical.diagnosis_record(encounter_id=encounter.pk, code=rng.choice(["I10", "E11.9"]))
        elif action == "vitals":
            clinical.vitals_record(encounter_id=encounter.pk, systolic=rng.choice([120, 190]), diastolic=80)
        else:
            order = rng.choice(orders)
            order.refresh_from_db()
            if order.status in ("active", "partially_dispensed"):
                pharmacy.prescription_cancel(prescription_id=order.pk)
            elif order.status == "dispensed":
                pharmacy.prescription_stop(prescription_id=order.pk, reason="done")
        if step % 4 == 3:
            refresh.refresh("patient_alerts")
            assert drift_rows("patient_alerts") == 0, f"after step {step}"
    assert modes and all(mode != "all" for _, mode in modes), modes


def test_a_change_it_cannot_place_recomputes_the_whole_view(modes):
    payer = PayerFactory(name="Old name")
    invoice = issued("100.00", TODAY, payer)
    payment = billing.payment_record(invoice_id=invoice.pk, amount=Decimal("40.00"), method="cash")
    refresh_all()
    modes.clear()

    Payment.objects.using("default").filter(pk=payment.pk).delete()  # its invoice can no longer be found
    refresh.refresh("ar_ledger_recent")
    assert modes == [("reports_ar_entries_recent", "all")]
    assert drift_rows("ar_ledger_recent") == 0

    modes.clear()
    payer.name = "New name"  # as in the admin: every row of the payer changes
    payer.save(using="default")
    refresh.refresh("ar_aging")
    assert modes == [("reports_ar_open", "all")]
    assert drift_rows("ar_aging") == 0


def test_a_renamed_patient_recomputes_only_their_invoices_entries(modes):
    invoice = issued("75.00", TODAY)
    issued("20.00", TODAY)
    refresh_all()
    modes.clear()
    patient = invoice.patient
    patient.family_name = "Renamed"
    patient.save(using="default")
    refresh.refresh("ar_ledger_recent")
    assert modes == [("reports_ar_entries_recent", "1 keys")]
    assert drift_rows("ar_ledger_recent") == 0
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT patient_name FROM reports_ar_entries_recent WHERE invoice_id = %s", [invoice.pk]
        )
        assert cursor.fetchone()[0].startswith("Renamed, ")


def test_a_forced_refresh_recomputes_the_whole_view_and_a_quiet_one_nothing(modes):
    issued("10.00", TODAY)
    refresh.refresh("ar_aging")
    refresh.refresh("ar_aging", force=True)
    assert [mode for _, mode in modes] == ["all", "all"]
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_ar_open")
        assert cursor.fetchone()[0] >= 1
