"""The same report three ways: a live aggregate on the primary, the view on a standby, the Redis summary.

Each is timed, and the three answers are compared. (This endpoint reads the primary on purpose.)
"""

import time

from django.db import connections
from django.utils import timezone

from hmis.routing.router import read_alias
from reports import store
from reports.projections.ar_aging import ENTRIES, aging_sql, bucket_names
from reports.projections.base import cents, rows
from reports.projections.diagnosis_trends import MONTHLY
from reports.projections.revenue import DAILY, TOTALS_SQL
from reports.queries.ar import _ar_from_summary

REPORTS = ("ar-aging", "revenue", "diagnosis-trends")


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, round((time.perf_counter() - started) * 1000, 3)


def _ar(source: str, alias: str) -> dict:
    with connections[alias].cursor() as cursor:
        found = rows(cursor, aging_sql(source, group_by="payer", basis="due_date"), {"as_of": timezone.localdate()})
    return {str(r["payer_id"]): cents(r["outstanding"]) for r in found}


def _revenue(source: str, alias: str) -> dict:
    today = timezone.localdate()
    with connections[alias].cursor() as cursor:
        (totals,) = rows(
            cursor, TOTALS_SQL.replace(DAILY.name, f"{source} AS daily"), {"start": today.replace(day=1), "end": today}
        )
    return {k: cents(v) for k, v in totals.items()}


def _diagnoses(source: str, alias: str) -> dict:
    month = timezone.localdate().replace(day=1)
    with connections[alias].cursor() as cursor:
        found = rows(
            cursor,
            f"SELECT code, sum(diagnoses)::int AS n FROM {source} AS d WHERE month = %s GROUP BY code "
            f"ORDER BY n DESC, code LIMIT 10",
            [month],
        )
    return {r["code"]: r["n"] for r in found}


def _from_redis(report: str) -> dict:
    if report == "ar-aging":
        summary = _ar_from_summary(store.read_hash("ar_aging", "summary"), "payer", bucket_names())
        return {str(r["payer_id"]): cents(r["outstanding"]) for r in summary["rows"]}
    if report == "revenue":
        summary = store.read_hash("revenue", "summary")
        return {m: int(summary.get(f"month:{m}", 0)) for m in ("invoiced", "collected", "credited")}
    return dict(store.read_top("diagnosis_trends", 10))


def performance_test(*, report: str = "ar-aging") -> dict:
    compute, view = {
        "ar-aging": (_ar, ENTRIES),
        "revenue": (_revenue, DAILY),
        "diagnosis-trends": (_diagnoses, MONTHLY),
    }[report]
    live, live_ms = _timed(lambda: compute(f"({view.select})", "default"))
    alias = read_alias()
    materialized, view_ms = _timed(lambda: compute(view.name, alias))
    try:
        summary, redis_ms = _timed(lambda: _from_redis(report))
    except Exception:  # noqa: BLE001 (Redis down: reported as such)
        summary, redis_ms = None, None
    results = {
        "live_aggregate": {"database": "default", "ms": live_ms, "result": live},
        "materialized_view": {"database": alias, "ms": view_ms, "result": materialized},
        "redis_summary": {"ms": redis_ms, "result": summary},
    }
    return {
        "report": report,
        "as_of": timezone.localdate().isoformat(),
        "results": results,
        "agree": live == materialized and (summary is None or summary == live),
        "speedup": {
            "view_vs_live": round(live_ms / view_ms, 1) if view_ms else None,
            "redis_vs_live": round(live_ms / redis_ms, 1) if redis_ms else None,
        },
    }
