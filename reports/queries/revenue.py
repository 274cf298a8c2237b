"""Revenue analysis: invoiced, collected, credited and net over time and by department, service or payer."""

import datetime
from decimal import Decimal

from reports.projections.base import rows
from reports.projections.revenue import BOTH, days
from reports.queries.cache import kept_view_answer

GRAINS = ("day", "week", "month")
DIMENSIONS = {
    "department": ("department_id", "department_name"),
    "service": ("service_id", "service_name"),
    "payer": ("payer_id", "payer_name"),
}
METRICS = ("invoiced", "collected", "credited", "net")
SUMS = "sum(invoiced) AS invoiced, sum(collected) AS collected, sum(credited) AS credited"


def _money(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k not in METRICS}
    for metric in ("invoiced", "collected", "credited"):
        out[metric] = Decimal(row.get(metric) or 0).quantize(Decimal("0.01"))
    out["net"] = out["invoiced"] - out["credited"]
    return out


def _change(current: Decimal, previous: Decimal) -> float | None:
    return None if previous == 0 else round(float((current - previous) / previous * 100), 1)


def revenue(*, start: datetime.date, end: datetime.date, grain: str = "month", dimension: str = "department") -> dict:
    """Totals, a series per period, a breakdown by the dimension, and the previous period of equal length."""
    key, name = DIMENSIONS[dimension]
    length = (end - start).days + 1
    previous = {"start": start - datetime.timedelta(days=length), "end": start - datetime.timedelta(days=1)}
    params = {"start": start, "end": end, "grain": grain}
    where = "WHERE day BETWEEN %(start)s AND %(end)s"

    # Whole months come from the monthly view; a series by day or week needs the daily rows.
    source, extra = days(start, end)
    params.update(extra)
    series_source = source if grain == "month" else BOTH
    before_source, extra = days(previous["start"], previous["end"], "before")
    previous.update(extra)

    def query(cursor):
        series = rows(
            cursor,
            f"SELECT date_trunc(%(grain)s, day)::date AS period, {SUMS} FROM {series_source} {where} "
            f"GROUP BY 1 ORDER BY 1",
            params,
        )
        breakdown = rows(
            cursor,
            f"SELECT {key} AS key, {name} AS name, {SUMS} FROM {source} {where} GROUP BY 1, 2 "
            f"ORDER BY sum(invoiced) DESC, 2",
            params,
        )
        (totals,) = rows(cursor, f"SELECT {SUMS} FROM {source} {where}", params)
        (before,) = rows(cursor, f"SELECT {SUMS} FROM {before_source} {where}", previous)
        totals, before = _money(totals), _money(before)
        return {
            "series": [_money(r) for r in series],
            "rows": [_money(r) for r in breakdown],
            "totals": totals,
            "previous": {**before, "start": previous["start"].isoformat(), "end": previous["end"].isoformat()},
            "change_percent": {m: _change(totals[m], before[m]) for m in METRICS},
        }

    header = {"start": start.isoformat(), "end": end.isoformat(), "grain": grain, "dimension": dimension}
    return {**header, **kept_view_answer("revenue", ("revenue", "revenue_history"), header, query)}
