"""The projections, by name. Each module declares its materialized views, sources and Redis summary."""

from reports.projections import (
    ar_aging,
    census,
    diagnosis_trends,
    patient_alerts,
    pharmacy_stock,
    population_health,
    revenue,
)
from reports.projections.base import Projection

REGISTRY: dict[str, Projection] = {
    projection.name: projection
    for projection in (
        # Each history before its recent view, whose window starts at the history's last refresh.
        ar_aging.PROJECTION,
        ar_aging.LEDGER,
        ar_aging.LEDGER_RECENT,
        revenue.HISTORY,
        revenue.PROJECTION,
        diagnosis_trends.HISTORY,
        diagnosis_trends.PROJECTION,
        pharmacy_stock.PROJECTION,
        census.PROJECTION,
        patient_alerts.PROJECTION,
        population_health.PROJECTION,
    )
}

# Not a projection of its own: the dashboard is composed from the others' summaries (reports/dashboard.py).
DASHBOARD = "dashboard"


def get(name: str) -> Projection:
    return REGISTRY[name]


def wanted(name: str, source: str, instance, update_fields=None, created=False) -> bool:
    """Does the change of `instance` (of `source`, "app_label.model"; `update_fields` as saved, None for
    a whole save or a delete; `created` for a new row) concern projection `name`?"""
    wants = REGISTRY[name].wants
    return wants is None or wants(source, instance, update_fields, created)


def dirtied_by() -> dict[str, tuple[str, ...]]:
    """app_label.Model -> the projections its changes dirty."""
    mapping: dict[str, list[str]] = {}
    for projection in REGISTRY.values():
        for source in projection.sources:
            mapping.setdefault(source, []).append(projection.name)
    return {source: tuple(names) for source, names in mapping.items()}
