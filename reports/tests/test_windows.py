"""History and recent views (reports/projections/window.py): which changes dirty which, and how they tile."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from billing import commands as billing
from clinical import commands as clinical
from clinical.models import Diagnosis
from core.events.models import OutboxEvent
from reports import queries
from reports.engine import refresh
from reports.projections import REGISTRY, diagnosis_trends, revenue
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory
from tests.support.stack import on_stack

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def issued(amount: str, posted: datetime.date):
    invoice = billing.invoice_create(
        patient_id=PatientFactory().pk,
        payer_id=PayerFactory(payment_terms_days=0).pk,
        posting_date=posted,
        lines=[{"service": ServiceFactory(price=Decimal(amount)).pk}],
    )
    return billing.invoice_issue(invoice_id=invoice.pk)


def events(projection: str) -> int:
    return OutboxEvent.objects.using("default").filter(projection=projection).count()


@pytest.mark.django_db
def test_todays_writes_leave_the_history_views_alone_and_old_dated_ones_dirty_them():
    today = issued("100.00", TODAY)
    billing.payment_record(invoice_id=today.pk, amount=Decimal("40.00"), method="cash")
    # A payment today on an invoice from last month is dated today: the recent view's business too.
    old = issued("50.00", TODAY - 40 * DAY)
    encounter = EncounterFactory()
    history_before, diagnoses_before = events("revenue_history"), events("diagnosis_history")
    billing.payment_record(invoice_id=old.pk, amount=Decimal("10.00"), method="cash")
    clinical.diagnosis_record(encounter_id=encounter.pk, code="I10")
    assert events("revenue_history") == history_before
    assert events("diagnosis_history") == diagnoses_before
    assert events("revenue") > 0 and events("diagnosis_trends") > 0

    billing.payment_record(invoice_id=old.pk, amount=Decimal("5.00"), method="cash", paid_on=TODAY - 3 * DAY)
    assert events("revenue_history") == history_before + 1  # back-dated: a day only the history holds
    department = encounter.department
    EncounterFactory(started_at=timezone.now() - 9 * DAY, department=department, patient=encounter.patient)
    assert events("diagnosis_history") == diagnoses_before + 1  # an encounter (and its diagnoses) of last week


@on_stack
def test_the_two_views_together_give_every_day_once_and_a_back_dated_payment_waits_for_the_history():
    old = issued("200.00", TODAY - 40 * DAY)
    billing.payment_record(invoice_id=old.pk, amount=Decimal("50.00"), method="cash", paid_on=TODAY - 35 * DAY)
    new = issued("80.00", TODAY)
    billing.payment_record(invoice_id=new.pk, amount=Decimal("80.00"), method="cash")
    for name in REGISTRY:
        refresh.refresh(name, force=True)

    def totals():
        answer = queries.revenue(start=TODAY - 60 * DAY, end=TODAY, grain="day")
        return answer["totals"]["invoiced"], answer["totals"]["collected"]

    assert totals() == (Decimal("280.00"), Decimal("130.00"))
    # Today's numbers come from the recent view alone; the history view ends before today.
    daily = {row["period"]: row for row in queries.revenue(start=TODAY, end=TODAY, grain="day")["series"]}
    assert daily[TODAY]["invoiced"] == Decimal("80.00")

    billing.payment_record(invoice_id=old.pk, amount=Decimal("30.00"), method="cash", paid_on=TODAY - 20 * DAY)
    refresh.refresh("revenue")
    assert totals() == (Decimal("280.00"), Decimal("130.00"))  # the history view has not seen it yet
    refresh.refresh("revenue_history")
    assert totals() == (Decimal("280.00"), Decimal("160.00"))


@pytest.mark.django_db
def test_dispensing_leaves_the_alerts_alone_and_cancelling_refreshes_them():
    from pharmacy import commands as pharmacy
    from tests.support.factories.pharmacy import amoxicillin, prescribe, receive

    drug = amoxicillin()
    receive(drug, "L1", 200, 50)
    first, second = prescribe(drug), prescribe(drug)
    before = events("patient_alerts")
    pharmacy.medication_dispense(prescription_id=first.pk, quantity=10)
    assert events("patient_alerts") == before  # still prescribed: the alerts are the same
    pharmacy.prescription_cancel(prescription_id=second.pk)
    assert events("patient_alerts") == before + 1


@on_stack
@pytest.mark.parametrize("cutoff_days_ago", [0, 17, 45])
def test_revenue_days_take_every_day_of_any_range_exactly_once(cutoff_days_ago):
    """revenue.days() reads whole months, the days around them and the recent window from three views; for
    any range and any cutoff each day is counted once."""
    rng = random.Random(cutoff_days_ago)
    payer = PayerFactory(payment_terms_days=0)
    invoiced: dict[datetime.date, Decimal] = {}
    for ago in rng.sample(range(480), 40):
        day = TODAY - ago * DAY
        amount = Decimal(rng.randint(1, 999))
        invoice = billing.invoice_create(
            patient_id=PatientFactory().pk,
            payer_id=payer.pk,
            posting_date=day,
            lines=[{"service": ServiceFactory(price=amount).pk}],
        )
        billing.invoice_issue(invoice_id=invoice.pk)
        invoiced[day] = invoiced.get(day, Decimal(0)) + amount
    refresh.refresh("revenue_history", force=True)
    with connections["default"].cursor() as cursor:
        # As if the history was last refreshed that many days ago: the recent view starts there.
        cursor.execute(
            "UPDATE reports_projectionstate SET refreshed_at = refreshed_at - make_interval(days => %s) "
            "WHERE name = 'revenue_history'",
            [cutoff_days_ago],
        )
        refresh.refresh("revenue", force=True)
        ranges = [(TODAY - 500 * DAY, TODAY), (TODAY.replace(day=1), TODAY)]
        ranges += [tuple(sorted(TODAY - rng.randint(0, 500) * DAY for _ in range(2))) for _ in range(40)]
        for start, end in ranges:
            source, params = revenue.days(start, end)
            cursor.execute(f"SELECT COALESCE(sum(invoiced), 0) FROM {source}", params)
            expected = sum((v for d, v in invoiced.items() if start <= d <= end), Decimal(0))
            assert cursor.fetchone()[0] == expected, (start, end)


@on_stack
@pytest.mark.parametrize("cutoff_days_ago", [0, 75])
def test_a_months_leading_codes_from_the_views_are_the_live_count(cutoff_days_ago):
    """diagnosis_trends.month_top_sql takes a recent month from the code totals and an older one from the
    history: for the months on either side of any cutoff, the answer is the count of the diagnoses."""
    rng = random.Random(cutoff_days_ago)
    codes = ["I10", "E11.9", "J45.909", "K21.9", "M54.5", "R51.9"]
    counted: dict[datetime.date, dict[str, int]] = {}
    now = timezone.now()
    for ago in rng.sample(range(120), 40):
        at = now - ago * DAY
        encounter = EncounterFactory(started_at=at - datetime.timedelta(hours=1))
        for code in rng.sample(codes, rng.randint(1, 4)):
            Diagnosis.objects.create(encounter=encounter, code_id=code, description=code, recorded_at=at)
            month = timezone.localdate(at).replace(day=1)
            counted.setdefault(month, {})[code] = counted.setdefault(month, {}).get(code, 0) + 1
    refresh.refresh("diagnosis_history", force=True)
    with connections["default"].cursor() as cursor:
        cursor.execute(  # as if the history was last refreshed that many days ago
            "UPDATE reports_projectionstate SET refreshed_at = refreshed_at - make_interval(days => %s) "
            "WHERE name = 'diagnosis_history'",
            [cutoff_days_ago],
        )
        refresh.refresh("diagnosis_trends", force=True)
        for month, by_code in counted.items():
            cursor.execute(diagnosis_trends.month_top_sql(), {"month": month, "limit": 3})
            found = [(code, n) for code, _, n in cursor.fetchall()]
            expected = sorted(by_code.items(), key=lambda item: (-item[1], item[0]))[:3]
            assert found == expected, month
