"""Year-long report answers kept in Redis per projection version (reports/queries/cache.py): a repeated
question is a Redis read; a refresh of a projection it reads makes the next one compute afresh; freshness
is read with the versions; an answer computed from a standby behind the summary is not kept."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import commands as billing
from clinical import commands as clinical
from reports.engine import refresh, store
from reports.queries import diagnosis_trends, revenue
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory
from tests.support.stack import on_stack, wait_replayed

TODAY = timezone.localdate()
YEAR = {"start": TODAY - datetime.timedelta(days=365), "end": TODAY}
PROJECTIONS = ("revenue_history", "revenue", "diagnosis_history", "diagnosis_trends")


def _invoice(service, payer, *, posted: datetime.date) -> int:
    invoice = billing.invoice_create(
        patient_id=PatientFactory().pk,
        payer_id=payer.pk,
        posting_date=posted,
        lines=[{"service": service.pk, "quantity": 1}],
    )
    billing.invoice_issue(invoice_id=invoice.pk)
    return invoice.pk


def _refreshed() -> None:
    for name in PROJECTIONS:
        refresh.refresh(name, force=True)
    wait_replayed()


@pytest.fixture
def hospital():
    department = DepartmentFactory(code="RAD", name="Radiology")
    service = ServiceFactory(code="XR", name="X-ray", department=department, price=Decimal("80.00"))
    payer = PayerFactory(name="Acme")
    _invoice(service, payer, posted=TODAY - datetime.timedelta(days=40))
    clinical.diagnosis_record(encounter_id=EncounterFactory(department=department).pk, code="I10")
    _refreshed()
    return {"service": service, "payer": payer, "department": department}


def _queries_during(fn) -> tuple[object, int]:
    contexts = [CaptureQueriesContext(connections[alias]) for alias in connections]
    for context in contexts:
        context.__enter__()
    try:
        result = fn()
    finally:
        for context in contexts:
            context.__exit__(None, None, None)
    return result, sum(len(context) for context in contexts)


def _figures(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k not in ("source", "database", "stale_seconds")}


@on_stack
def test_a_repeated_year_query_is_one_redis_read_with_the_same_answer(hospital):
    first = revenue(**YEAR)
    assert first["source"] == "materialized_view" and first["totals"]["invoiced"] == Decimal("80.00")
    second, queries = _queries_during(lambda: revenue(**YEAR))
    assert queries == 0
    assert second["source"] == "redis" and second["database"] is None
    assert _figures(second) == _figures(first)
    trends = diagnosis_trends(**YEAR)
    again, queries = _queries_during(lambda: diagnosis_trends(**YEAR))
    assert queries == 0 and again["source"] == "redis"
    assert again["rows"] == trends["rows"] and again["totals"] == {"diagnoses": 1}
    # Other parameters are another question.
    assert revenue(**YEAR, dimension="payer")["source"] == "materialized_view"


@on_stack
def test_a_refresh_of_a_projection_it_reads_gives_the_new_answer(hospital):
    revenue(**YEAR)
    assert revenue(**YEAR)["source"] == "redis"
    _invoice(hospital["service"], hospital["payer"], posted=TODAY)  # today's: the recent projection
    clinical.diagnosis_record(encounter_id=EncounterFactory(department=hospital["department"]).pk, code="E11.9")
    _refreshed()
    after = revenue(**YEAR)
    assert after["source"] == "materialized_view" and after["totals"]["invoiced"] == Decimal("160.00")
    assert revenue(**YEAR)["totals"]["invoiced"] == Decimal("160.00")
    assert diagnosis_trends(**YEAR)["totals"] == {"diagnoses": 2}
    assert diagnosis_trends(**YEAR)["totals"] == {"diagnoses": 2}


@on_stack
def test_a_kept_answer_is_as_fresh_as_the_summaries_say(hospital):
    first = revenue(**YEAR)
    later = timezone.now()
    store.confirm_fresh("revenue", later.isoformat())
    store.confirm_fresh("revenue_history", later.isoformat())
    kept = revenue(**YEAR)
    assert kept["source"] == "redis"
    assert kept["fresh_as_of"] == later.isoformat() and kept["fresh_as_of"] > first["fresh_as_of"]
    # A summary not confirmed fresh for too long answers nothing: the views answer, with their freshness.
    store.confirm_fresh("revenue", (later - datetime.timedelta(hours=1)).isoformat())
    assert revenue(**YEAR)["source"] == "materialized_view"


@on_stack
def test_an_answer_from_a_standby_behind_the_summary_is_not_kept(hospital, settings):
    meta = store.read_meta("revenue")
    # The summary names a refresh the database answering has not replayed (it is a moment later).
    store.write("revenue", {}, {**meta, "refreshed_at": timezone.now().isoformat()})
    assert revenue(**YEAR)["source"] == "materialized_view"
    assert revenue(**YEAR)["source"] == "materialized_view"
    settings.REPORT_ANSWER_CACHE = False
    _refreshed()
    assert revenue(**YEAR)["source"] == "materialized_view"
    assert revenue(**YEAR)["source"] == "materialized_view"
