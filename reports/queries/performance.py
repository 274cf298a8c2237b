"""The same report three ways: a live aggregate on the primary, the view on a standby, the Redis summary.

Each is timed, and the three answers are compared. (This endpoint reads the primary on purpose.)
"""

import time

from django.conf import settings
from django.db import OperationalError, connections, transaction
from django.utils import timezone

from core.routing.router import read_alias
from reports.engine import store
from reports.projections.ar_aging import ENTRIES, aging_sql, open_aging_sql
from reports.projections.base import cents, rows
from reports.projections.diagnosis_trends import MONTHLY, month_top_sql
from reports.projections.revenue import DAILY, months_by_department, year_ago
from reports.queries.ar import _ar_from_summary
from reports.queries.summaries import revenue_months


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, round((time.perf_counter() - started) * 1000, 3)


def _ar(live: bool, alias: str) -> dict:
    """Today's outstanding by payer."""
    if live:
        sql = aging_sql(f"({ENTRIES.select})", group_by="payer", basis="due_date")
    else:
        sql = open_aging_sql(group_by="payer", basis="due_date")
    with connections[alias].cursor() as cursor:
        found = rows(cursor, sql, {"as_of": timezone.localdate()})
    return {str(r["payer_id"]): cents(r["outstanding"]) for r in found}


def _revenue(live: bool, alias: str) -> dict:
    """The trailing year (from the first of the month a year ago) by month x department."""
    with connections[alias].cursor() as cursor:
        source = f"({DAILY.select}) AS daily" if live else None
        found = months_by_department(cursor, year_ago(), source)
    return {key: value for key, value in found.items() if value}


def _diagnoses(live: bool, alias: str) -> dict:
    """This month's ten most frequent codes."""
    month = timezone.localdate().replace(day=1)
    params = {"month": month, "limit": 10}
    with connections[alias].cursor() as cursor:
        if live:
            sql = (
                f"SELECT code, sum(diagnoses) AS diagnoses FROM ({MONTHLY.select}) AS monthly "
                "WHERE month = %(month)s GROUP BY code ORDER BY diagnoses DESC, code LIMIT %(limit)s"
            )
        else:
            sql = month_top_sql()
        found = rows(cursor, sql, params)
    return {r["code"]: int(r["diagnoses"]) for r in found}


def _ar_redis() -> dict:
    summary = _ar_from_summary(store.read_hash("ar_aging", "summary"), "payer")
    return {str(r["payer_id"]): cents(r["outstanding"]) for r in summary["rows"]}


def _revenue_redis() -> dict:
    return {key: value for key, value in revenue_months().items() if value}


def _diagnoses_redis() -> dict:
    return dict(store.read_top("diagnosis_trends", 10))


# report -> (its answer computed live or from the views, its answer from the Redis summary)
WAYS = {
    "ar-aging": (_ar, _ar_redis),
    "revenue": (_revenue, _revenue_redis),
    "diagnosis-trends": (_diagnoses, _diagnoses_redis),
}
REPORTS = tuple(WAYS)


def _live(compute) -> dict | None:
    """The live aggregate on the primary, stopped after PERFORMANCE_TEST_TIMEOUT_SECONDS (None then)."""
    with transaction.atomic(using="default"), connections["default"].cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = %s", [int(settings.PERFORMANCE_TEST_TIMEOUT_SECONDS * 1000)])
        try:
            with transaction.atomic(using="default"):  # a savepoint: the cancelled statement is rolled back alone
                return compute(True, "default")
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != "57014":  # query_canceled
                raise
            return None


def performance_test(*, report: str = "ar-aging") -> dict:
    compute, redis_answer = WAYS[report]
    live, live_ms = _timed(lambda: _live(compute))
    alias = read_alias()
    materialized, view_ms = _timed(lambda: compute(False, alias))
    try:
        summary, redis_ms = _timed(redis_answer)
    except Exception:  # noqa: BLE001 (Redis down: reported as such)
        summary, redis_ms = None, None
    results = {
        "live_aggregate": {"database": "default", "ms": live_ms, "result": live, "timed_out": live is None},
        "materialized_view": {"database": alias, "ms": view_ms, "result": materialized},
        "redis_summary": {"ms": redis_ms, "result": summary},
    }
    return {
        "report": report,
        "as_of": timezone.localdate().isoformat(),
        "results": results,
        "agree": None if live is None else live == materialized and (summary is None or summary == live),
        "speedup": {  # with a timed-out live aggregate: at least this much
            "view_vs_live": round(live_ms / view_ms, 1) if view_ms else None,
            "redis_vs_live": round(live_ms / redis_ms, 1) if redis_ms else None,
        },
    }
