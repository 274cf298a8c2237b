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
    module.PROJECTION.name: module.PROJECTION
    for module in (ar_aging, revenue, diagnosis_trends, pharmacy_stock, census, patient_alerts, population_health)
}

# Not a projection of its own: the dashboard is composed from the others' summaries (reports/dashboard.py).
DASHBOARD = "dashboard"


def get(name: str) -> Projection:
    return REGISTRY[name]


def dirtied_by() -> dict[str, tuple[str, ...]]:
    """app_label.Model -> the projections its changes dirty."""
    mapping: dict[str, list[str]] = {}
    for projection in REGISTRY.values():
        for source in projection.sources:
            mapping.setdefault(source, []).append(projection.name)
    return {source: tuple(names) for source, names in mapping.items()}
