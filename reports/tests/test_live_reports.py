"""REPORTS_LIVE (the benchmark's "before CQRS" side): the same report SQL over the views' defining SELECTs
on the primary gives the same figures as the views (reports/queries/live.py)."""

import datetime

from django.utils import timezone

from clinical.models import Patient
from reports.engine import refresh
from reports.projections import REGISTRY
from reports.projections.revenue import TOTALS_SQL
from reports.queries import ar_aging, dashboard, diagnosis_trends, patient_alerts, revenue
from reports.queries.alerts import ACTIVE_SQL
from reports.queries.live import sql
from reports.tests.test_report_cache import YEAR, hospital  # noqa: F401 (a fixture)
from tests.support.stack import on_stack, wait_replayed


def test_a_statement_reads_the_views_it_names_as_their_selects_each_after_what_it_reads():
    live = sql(TOTALS_SQL, with_params=True)
    assert live.startswith("WITH reports_revenue_daily AS (")
    assert live.index("reports_revenue_daily AS (") < live.index("reports_revenue_recent AS (")
    assert live.endswith(TOTALS_SQL)
    assert sql("SELECT 1", with_params=False) == "SELECT 1"
    again = sql("WITH x AS (SELECT 1) SELECT * FROM reports_revenue_recent, x", with_params=False)
    assert again.startswith("WITH reports_revenue_recent AS (") and "WITH x" not in again  # one WITH list
    assert again.endswith("x AS (SELECT 1) SELECT * FROM reports_revenue_recent, x")
    # A view kept key by key, asked for one key: computed for that key only (its increment's SELECT).
    one = sql(ACTIVE_SQL, with_params=True)
    assert "(SELECT %(patient)s::bigint AS patient_id)" in one
    assert "SELECT id AS patient_id FROM clinical_patient" not in one


def _figures(answer: dict) -> dict:
    out = {k: v for k, v in answer.items() if k not in ("source", "database", "stale_seconds")}
    return {k: v for k, v in out.items() if k not in ("refreshed_at", "fresh_as_of")}


@on_stack
def test_live_reports_equal_the_views(hospital, settings):  # noqa: F811
    settings.REPORT_ANSWER_CACHE = False
    for name in REGISTRY:  # the fixture refreshed the revenue and diagnosis projections only
        refresh.refresh(name, force=True)
    wait_replayed()
    patient, at = Patient.objects.order_by("id").values_list("id", flat=True).first(), timezone.now()
    from_views = {
        "revenue": revenue(**YEAR),
        "payers": revenue(**YEAR, dimension="payer", grain="day"),
        "diagnoses": diagnosis_trends(**YEAR),
        "ar": ar_aging(group_by="payer"),
        "alerts": patient_alerts(patient_id=patient, at=at),
    }
    board = dashboard()
    settings.REPORTS_LIVE = True
    live = {
        "revenue": revenue(**YEAR),
        "payers": revenue(**YEAR, dimension="payer", grain="day"),
        "diagnoses": diagnosis_trends(**YEAR),
        "ar": ar_aging(group_by="payer"),
        "alerts": patient_alerts(patient_id=patient, at=at),
    }
    for name, answer in live.items():
        assert answer["source"] == "live" and answer["database"] == "default", name
        assert _figures(answer) == _figures(from_views[name]), name
    assert live["revenue"]["stale_seconds"] < 5
    live_board = dashboard()
    assert live_board["source"] == "materialized_view"  # assembled from the (live) view reads
    assert live_board["today_invoiced"] == board["today_invoiced"]
    assert live_board["ar_outstanding"] == board["ar_outstanding"]
    assert datetime.date.fromisoformat(live["revenue"]["end"]) == timezone.localdate()
