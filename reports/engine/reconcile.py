"""Reconciliation: recompute each projection from the write model on the primary, compare, repair.

A projection that declares `differences` (the patient view) is compared row by row and field by field, and
only the rows that differ are recomputed (`reconcile_rows`); the others as below.

For each view, its defining SELECT is run live and compared row by row with the view's content, in one
REPEATABLE READ snapshot. Differences while events are pending are ordinary lag, not drift, so a dirty
projection is refreshed first. Then the Redis summary is compared with the one the (correct) view gives.
"""

import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, transaction
from django.utils import timezone

from core.keys import projection as key
from reports.engine import refresh, store
from reports.models import ReconciliationRun, RowDrift
from reports.projections import REGISTRY, get
from reports.projections.base import View

SAMPLE_KEYS = 10
KEPT_DIFFERENCES = 10_000  # field differences kept per run (RowDrift), beyond the count


@dataclass
class Drift:
    rows: int = 0
    fields: int = 0
    largest: Decimal = Decimal(0)
    keys: list = field(default_factory=list)


def _view_drift(cursor, view: View, drift: Drift) -> None:
    where = f" WHERE {view.held}" if view.held else ""
    cursor.execute(
        f"""WITH live AS (SELECT * FROM ({view.select}) AS l{where}), mv AS (SELECT * FROM {view.name}{where})
            SELECT 'missing' AS side, * FROM (SELECT * FROM live EXCEPT ALL SELECT * FROM mv) AS a
            UNION ALL
            SELECT 'extra' AS side, * FROM (SELECT * FROM mv EXCEPT ALL SELECT * FROM live) AS b"""
    )
    names = [c.name for c in cursor.description]
    by_key: dict[tuple, dict[str, dict]] = {}
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        by_key.setdefault(tuple(record[k] for k in view.unique), {})[record["side"]] = record
    drift.rows += len(by_key)
    for row_key, sides in by_key.items():
        if len(drift.keys) < SAMPLE_KEYS:
            drift.keys.append(f"{view.name}:{'/'.join(map(str, row_key))}")
        live, stale = sides.get("missing", {}), sides.get("extra", {})
        for column in set(live) | set(stale):
            if column in view.unique or column.endswith("_id"):
                continue  # identifiers, not quantities: "largest" is about amounts and counts
            a, b = live.get(column), stale.get(column)
            if isinstance(a, int | Decimal) or isinstance(b, int | Decimal):
                drift.largest = max(drift.largest, abs(Decimal(a or 0) - Decimal(b or 0)))


def _summary_drift(cursor, name: str, drift: Drift) -> None:
    expected = get(name).build_summary(cursor)
    for part, values in expected.items():
        if part == "top":
            stored = dict(store.read_top(name, 1000))
            expected_values = {k: str(v) for k, v in values.items()}
            stored = {k: str(v) for k, v in stored.items()}
        else:
            stored = store.read_hash(name, part)
            expected_values = {k: str(v) for k, v in values.items()}
        for field_name in set(expected_values) | set(stored):
            if expected_values.get(field_name) != stored.get(field_name):
                drift.fields += 1
                if len(drift.keys) < SAMPLE_KEYS:
                    drift.keys.append(f"{key(name, part)}:{field_name}")
                try:
                    delta = abs(Decimal(expected_values.get(field_name) or 0) - Decimal(stored.get(field_name) or 0))
                    # money fields are cents in Redis: report the difference in currency units
                    drift.largest = max(
                        drift.largest, delta / 100 if field_name.split(":")[-1] != "invoices" else delta
                    )
                except ArithmeticError:
                    pass


def reconcile_rows(name: str, *, repair: bool = True) -> ReconciliationRun:
    """A projection with `differences`: compared row by row and field by field in one snapshot; each field
    that differs is kept (RowDrift: its row reads as out of sync meanwhile), then only those rows are
    recomputed and the differences marked repaired."""
    projection = get(name)
    started = timezone.now()
    refresh.refresh(name)  # pending events first: what remains after this is drift
    connection = connections["default"]
    with transaction.atomic(using="default"), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        found = projection.differences(cursor)
    keys = list(dict.fromkeys(str(d["key"]) for d in found))
    view = projection.views[0].name
    run = ReconciliationRun.objects.using("default").create(
        projection=name,
        started_at=started,
        finished_at=timezone.now(),
        view_rows_differing=len(keys),
        sample_keys=[f"{view}:{d['key']}:{d['field']}" for d in found[:SAMPLE_KEYS]],
    )
    RowDrift.objects.using("default").bulk_create(
        RowDrift(
            run=run,
            projection=name,
            key=str(d["key"]),
            field=d["field"],
            view=_json(d["view"]),
            source=_json(d["source"]),
            found_at=run.finished_at,
        )
        for d in found[:KEPT_DIFFERENCES]
    )
    if repair and keys:
        with transaction.atomic(using="default"), connection.cursor() as cursor:
            projection.recompute(cursor, keys)
            RowDrift.objects.using("default").filter(projection=name, key__in=keys, repaired_at__isnull=True).update(
                repaired_at=timezone.now()
            )
        run.repaired = True
        run.save(using="default", update_fields=["repaired"])
    return run


def _json(value):
    """A value as JSON holds it (dates and amounts as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def reconcile(name: str, *, repair: bool = True) -> ReconciliationRun:
    if get(name).differences:
        return reconcile_rows(name, repair=repair)
    started = timezone.now()
    refresh.refresh(name)  # pending events first: what remains after this is drift
    drift = Drift()
    connection = connections["default"]
    with transaction.atomic(using="default"), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for view in get(name).views:
            _view_drift(cursor, view, drift)
        view_rows = drift.rows
        try:
            _summary_drift(cursor, name, drift)
        except Exception:  # noqa: BLE001 (Redis down: only the views can be checked)
            drift.keys.append(f"{name}: Redis unavailable, summary not checked")
    repaired = False
    if repair and view_rows:
        refresh.refresh(name, force=True)
        repaired = True
    elif repair and drift.fields:
        refresh.rebuild_summary(name)
        refresh.rebuild_dashboard()
        repaired = True
    return ReconciliationRun.objects.using("default").create(
        projection=name,
        started_at=started,
        finished_at=timezone.now(),
        view_rows_differing=view_rows,
        summary_fields_differing=drift.fields,
        largest_difference=drift.largest.quantize(Decimal("0.01")),
        sample_keys=drift.keys,
        repaired=repaired,
    )


def names(scope: str | None) -> list[str]:
    """The projections a run of this scope reconciles (None: all of them)."""
    return [name for name, projection in REGISTRY.items() if scope in (None, projection.reconcile)]


def reconcile_all(*, repair: bool = True, scope: str | None = None) -> list[ReconciliationRun]:
    return [reconcile(name, repair=repair) for name in names(scope)]


def latest_runs() -> dict[str, dict]:
    """The last run per projection (for /healthz)."""
    latest = {}
    for run in ReconciliationRun.objects.order_by("projection", "-started_at").distinct("projection"):
        latest[run.projection] = run.as_dict()
        projection = REGISTRY.get(run.projection)
        if projection and projection.differences and run.drift:
            # which rows and fields, never their values (a patient's allergies are not for a status page)
            latest[run.projection]["differences"] = [
                {"key": d.key, "field": d.field, "repaired": d.repaired_at is not None}
                for d in run.row_drift.all()[:SAMPLE_KEYS]
            ]
    return latest
