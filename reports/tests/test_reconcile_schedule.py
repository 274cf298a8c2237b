"""Which projections each reconciliation run recomputes: the ones whose live recomputation takes seconds
to tens of seconds of the primary at hospital scale nightly, the rest hourly."""

from django.conf import settings

from reports.engine.reconcile import names
from reports.projections import REGISTRY
from reports.projections.base import HOURLY, NIGHTLY


def test_history_views_and_population_health_are_reconciled_nightly_and_everything_else_hourly():
    # (and the appointments table: three years of slots, bookings and queue entries recomputed live)
    nightly = {"ar_ledger", "revenue_history", "diagnosis_history", "population_health", "appointments"}
    assert set(names(NIGHTLY)) == nightly
    assert set(names(HOURLY)) == set(REGISTRY) - nightly
    assert {"ar_aging", "revenue", "diagnosis_trends", "patient_alerts"} <= set(names(HOURLY))
    assert names(None) == list(REGISTRY)


def test_beat_runs_both_runs():
    runs = {
        entry["kwargs"]["scope"]: entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "reports.reconcile_projections"
    }
    assert set(runs) == {HOURLY, NIGHTLY}
    assert runs[HOURLY].hour == set(range(24))
    assert len(runs[NIGHTLY].hour) == 1 and len(runs[NIGHTLY].minute) == 1
