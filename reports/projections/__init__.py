"""The projections, by name: every `Projection` a module of this package defines at module level.

Adding a projection = a new module here (docs/how-to-add-a-projection.md). The registry's order is derived
from what the declarations say about each other: a projection comes before the one it refreshes `then`,
and after the projections whose views its views read.
"""

import importlib
import pkgutil
import re

from django.core.exceptions import ImproperlyConfigured

from reports.projections.base import Projection

# Not a projection of its own: the dashboard is composed from the others' summaries (reports/dashboard.py).
DASHBOARD = "dashboard"


def _discovered() -> list[Projection]:
    """The Projection instances of this package's modules, in module order, then as each module defines
    them (an instance imported into another module counts once)."""
    found: list[Projection] = []
    for module in pkgutil.iter_modules(__path__):
        for value in vars(importlib.import_module(f"{__name__}.{module.name}")).values():
            if isinstance(value, Projection) and not any(value is known for known in found):
                found.append(value)
    return found


def _reads(projection: Projection, other: Projection) -> bool:
    """Do `projection`'s views select from one of `other`'s?"""
    names = [re.compile(rf"\b{view.name}\b") for view in other.views]
    return any(name.search(view.select) for view in projection.views for name in names)


def ordered(projections: list[Projection]) -> dict[str, Projection]:
    """{name: projection} with every projection after those it must follow, otherwise in the given order."""
    by_name: dict[str, Projection] = {}
    for projection in projections:
        if projection.name in by_name:
            raise ImproperlyConfigured(f"two projections are named {projection.name!r}")
        by_name[projection.name] = projection
    before: dict[str, set[str]] = {name: set() for name in by_name}
    for projection in projections:
        if projection.then:
            if projection.then not in by_name:
                raise ImproperlyConfigured(f"{projection.name}.then names no projection: {projection.then!r}")
            before[projection.then].add(projection.name)
        before[projection.name] |= {o.name for o in projections if o is not projection and _reads(projection, o)}
    order: dict[str, Projection] = {}
    while len(order) < len(by_name):
        ready = next((p for p in projections if p.name not in order and before[p.name] <= order.keys()), None)
        if ready is None:
            raise ImproperlyConfigured(
                f"projections that must follow each other in a cycle: {set(by_name) - set(order)}"
            )
        order[ready.name] = ready
    return order


REGISTRY: dict[str, Projection] = ordered(_discovered())


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
