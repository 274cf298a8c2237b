"""What is derived from the projection declarations (reports/projections/): the registry and its order, refresh
intervals, the midnight run and the dashboard."""

import dataclasses
import datetime
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from reports import dashboard
from reports.engine import refresh, store
from reports.projections import REGISTRY, ordered
from reports.projections.base import Projection


def test_every_projection_module_registers_itself_each_history_before_its_recent_partner():
    assert set(REGISTRY) == {
        "appointments",
        "ar_aging",
        "ar_ledger",
        "ar_ledger_recent",
        "bed_board",
        "census",
        "diagnosis_history",
        "diagnosis_trends",
        "patient_alerts",
        "patient_view",
        "pharmacy_stock",
        "population_health",
        "queue_board",
        "revenue_history",
        "revenue",
        "ward_census",
    }
    order = list(REGISTRY)
    for history, recent in (("ar_ledger", "ar_ledger_recent"), ("revenue_history", "revenue")):
        assert REGISTRY[history].then == recent and order.index(history) < order.index(recent)
    assert order.index("diagnosis_history") < order.index("diagnosis_trends")


def test_the_order_follows_then_and_views_reading_other_views_and_refuses_cycles():
    a, b, c = REGISTRY["census"], REGISTRY["revenue_history"], REGISTRY["revenue"]
    reader = Projection(
        name="reader",
        views=(dataclasses.replace(a.views[0], name="x", select="SELECT * FROM reports_revenue_recent"),),
        sources=(),
    )
    assert list(ordered([reader, c, a, b])) == ["census", "revenue_history", "revenue", "reader"]
    with pytest.raises(ImproperlyConfigured, match="cycle"):
        ordered([dataclasses.replace(c, then="revenue_history"), b])
    with pytest.raises(ImproperlyConfigured, match="names no projection"):
        ordered([dataclasses.replace(a, then="nowhere")])
    with pytest.raises(ImproperlyConfigured, match="two projections"):
        ordered([a, a])


def test_a_declared_interval_applies_unless_switched_off_or_overridden_by_name(settings):
    settings.PROJECTION_MIN_INTERVAL_SECONDS = 0.5
    settings.PROJECTION_DECLARED_INTERVALS = True
    settings.PROJECTION_MIN_INTERVALS = {}
    assert {name: refresh.min_interval(name) for name in REGISTRY if refresh.min_interval(name) != 0.5} == {
        "ar_ledger": 60,
        "revenue_history": 60,
        "diagnosis_history": 60,
        "population_health": 60,
        "pharmacy_stock": 5,
        "ward_census": 60,
        "appointments": 10,
    }
    settings.PROJECTION_MIN_INTERVALS = {"ar_ledger": 10, "census": 2}
    assert (refresh.min_interval("ar_ledger"), refresh.min_interval("census")) == (10, 2)
    settings.PROJECTION_DECLARED_INTERVALS = False  # as in the tests: every write is followed
    assert (refresh.min_interval("revenue_history"), refresh.min_interval("census")) == (0.5, 2)


def test_at_midnight_the_calendars_projections_are_refreshed_or_rebuilt_once_each(monkeypatch):
    calls = []
    monkeypatch.setattr(refresh, "refresh", lambda name, force=False: calls.append(("refresh", name, force)))
    monkeypatch.setattr(refresh, "rebuild_summary", lambda name: calls.append(("summary", name)))
    monkeypatch.setattr(refresh, "rebuild_dashboard", lambda: calls.append(("dashboard",)))
    refresh.at_midnight()
    # Each history refreshes its recent partner itself (`then`); stock's view holds CURRENT_DATE; AR ages
    # count from today, but only in its summary.
    assert sorted(calls[:-1]) == [
        ("refresh", "ar_ledger", True),
        ("refresh", "diagnosis_history", True),
        ("refresh", "pharmacy_stock", True),
        ("refresh", "revenue_history", True),
        ("refresh", "ward_census", True),
        ("summary", "appointments"),
        ("summary", "ar_aging"),
        ("summary", "bed_board"),
    ]
    assert calls[-1] == ("dashboard",)


def test_the_projections_declare_the_dashboards_headline_fields_each_once():
    declared = []
    for projection in REGISTRY.values():
        if projection.dashboard:
            declared += projection.dashboard.compose({"summary": {}, "descriptions": {}, "top": [], "meta": {}})
    financial = ["today_invoiced", "today_collected", "month_invoiced", "ar_outstanding", "ar_over_90"]
    clinical = ["open_encounters", "low_stock", "expiring_30", "expired_batches", "top_diagnoses"]
    clinical += ["beds_occupied", "beds_in_service", "admission_queue", "midnight_census"]
    clinics = ["appointments_today", "no_shows_today", "average_wait_today", "queue_waiting"]
    assert sorted(declared) == sorted([*financial, *clinical, *clinics])


@pytest.mark.stack  # the summaries live in the stack's Redis
def test_the_dashboard_is_composed_from_every_projections_summary():
    now, earlier = timezone.now(), timezone.now() - datetime.timedelta(minutes=5)
    parts = {
        "ar_aging": {"summary": {"all:outstanding": 90000, "all:91_120": 700, "all:121_plus": 300, "all:61_90": 5}},
        "revenue": {"summary": {"today:invoiced": 1200, "today:collected": 800, "month:invoiced": 5000}},
        "census": {"summary": {"open:total": 7}},
        "pharmacy_stock": {"summary": {"low_stock": 2, "expiring_30": 3, "expired": 1}},
        "diagnosis_trends": {"top": {"I10": 9, "E11.9": 4}, "descriptions": {"I10": "Hypertension"}},
        "bed_board": {"summary": {"occupied": 40, "in_service": 50, "waiting": 3}},
        "ward_census": {"summary": {"census": 38}},
        "appointments": {"summary": {"booked": 40, "no_shows": 3, "seen": 4, "wait_seconds": 3000}},
        "queue_board": {"summary": {"waiting": 6, "called": 1}},
    }
    for name in REGISTRY:
        fresh = earlier if name == "census" else now
        meta = {"refreshed_at": now.isoformat(), "fresh_as_of": fresh.isoformat(), "built_on": "2000-01-01"}
        store.write(name, parts.get(name, {}), meta)
    composed = dashboard.compose()
    assert composed == {
        "ar_outstanding": "90000",
        "ar_over_90": "1000",
        "open_encounters": "7",
        "top_diagnoses": json.dumps(
            [
                {"code": "I10", "count": 9, "description": "Hypertension"},
                {"code": "E11.9", "count": 4, "description": ""},
            ]
        ),
        "low_stock": "2",
        "expiring_30": "3",
        "expired_batches": "1",
        "today_invoiced": "1200",
        "today_collected": "800",
        "month_invoiced": "5000",
        "beds_occupied": "40",
        "beds_in_service": "50",
        "admission_queue": "3",
        "midnight_census": "38",
        "appointments_today": "40",
        "no_shows_today": "3",
        "average_wait_today": "13",  # 3000 s over 4 patients seen: 12.5 minutes
        "queue_waiting": "6",
        "fresh_as_of": earlier.isoformat(),  # the oldest part decides
        "refreshed_at": now.isoformat(),
        "built_on": timezone.localdate().isoformat(),
    }
    store.write("census", {}, {"refreshed_at": now.isoformat(), "fresh_as_of": ""})
    assert dashboard.compose()["fresh_as_of"] == ""  # complete only when every part is
