"""Report queries: the one read layer for pages and API. Reads projections only, never the raw tables.

Each answer says where it came from and how fresh it is:
- source: "redis" (summary) or "materialized_view"; `database` names the alias that served a view read
  (a caught-up standby when one is healthy);
- refreshed_at: when the last refresh took its snapshot; fresh_as_of: the latest moment the projection
  was known to hold every committed write; stale_seconds: now - fresh_as_of.
Redis is used when its summary is from today and was confirmed fresh recently; otherwise the view.
"""

import datetime
import json
import logging
from decimal import Decimal

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hmis.routing.router import read_alias
from reports import store
from reports.models import ProjectionState
from reports.projections import DASHBOARD
from reports.projections.ar_aging import DEFAULT_RANGES, ENTRIES, aging_sql, bucket_names
from reports.projections.base import from_cents, rows
from reports.projections.diagnosis_trends import MONTHLY
from reports.projections.pharmacy_stock import BATCHES, DRUGS
from reports.projections.revenue import TOTALS_SQL

log = logging.getLogger("hmis.reports")

MONEY_COLUMNS = ("invoiced", "paid", "credited", "outstanding")


def _freshness(refreshed_at, fresh_as_of) -> dict:
    now = timezone.now()
    return {
        "refreshed_at": refreshed_at.isoformat() if refreshed_at else None,
        "fresh_as_of": fresh_as_of.isoformat() if fresh_as_of else None,
        "stale_seconds": round(max(0.0, (now - fresh_as_of).total_seconds()), 1) if fresh_as_of else None,
    }


def _redis_meta(name: str) -> dict | None:
    """The summary's meta if the summary may answer (exists, built today, confirmed fresh lately)."""
    try:
        meta = store.read_meta(name)
    except Exception:  # noqa: BLE001 (Redis down: the views answer)
        log.warning("Redis unavailable for %s; reading the view", name)
        return None
    fresh_as_of = parse_datetime(meta.get("fresh_as_of") or "")
    if not fresh_as_of or meta.get("built_on") != timezone.localdate().isoformat():
        return None
    if (timezone.now() - fresh_as_of).total_seconds() > settings.PROJECTION_MAX_STALE_SECONDS:
        return None
    return meta


def _from_redis(meta: dict, data: dict) -> dict:
    freshness = _freshness(parse_datetime(meta.get("refreshed_at") or ""), parse_datetime(meta["fresh_as_of"]))
    return {**data, "source": "redis", "database": None, **freshness}


def _from_view(name: str, query) -> dict:
    """Run `query(cursor)` against the views where the router sends reads, with that alias's freshness."""
    alias = read_alias()
    state = ProjectionState.objects.using(alias).filter(name=name).first()
    with connections[alias].cursor() as cursor:
        data = query(cursor)
    freshness = _freshness(state.refreshed_at, state.fresh_as_of) if state else _freshness(None, None)
    return {**data, "source": "materialized_view", "database": alias, **freshness}


# --- AR aging ----------------------------------------------------------------------------------------


def ar_aging(
    *,
    as_of: datetime.date | None = None,
    basis: str = "due_date",
    ranges: tuple[int, ...] = DEFAULT_RANGES,
    group_by: str = "payer",
    payer_id: int | None = None,
    patient_id: int | None = None,
) -> dict:
    """Outstanding by bucket, grouped by payer, patient, invoice or all; buckets sum to outstanding."""
    today = timezone.localdate()
    as_of = as_of or today
    ranges = tuple(ranges)
    buckets = bucket_names(ranges)
    header = {
        "as_of": as_of.isoformat(),
        "basis": basis,
        "ranges": list(ranges),
        "group_by": group_by,
        "buckets": buckets,
    }
    summary_fits = as_of == today and basis == "due_date" and ranges == DEFAULT_RANGES and group_by in ("payer", "all")
    if summary_fits and payer_id is None and patient_id is None and (meta := _redis_meta("ar_aging")):
        try:
            return _from_redis(
                meta, {**header, **_ar_from_summary(store.read_hash("ar_aging", "summary"), group_by, buckets)}
            )
        except Exception:
            log.warning("Redis read failed for ar_aging; reading the view", exc_info=True)

    filters, params = "", {"as_of": as_of}
    if payer_id is not None:
        filters += " AND payer_id = %(payer_id)s"
        params["payer_id"] = payer_id
    if patient_id is not None:
        filters += " AND patient_id = %(patient_id)s"
        params["patient_id"] = patient_id

    def query(cursor):
        sql = aging_sql(ENTRIES.name, group_by=group_by, basis=basis, ranges=ranges, filters=filters)
        found = [_ar_row(row, buckets) for row in rows(cursor, sql, params)]
        if group_by == "all":
            totals = found[0] if found else _ar_row({}, buckets)
            return {"rows": [], "totals": totals}
        return {"rows": found, "totals": _ar_totals(found, buckets)}

    return {**header, **_from_view("ar_aging", query)}


def _ar_row(row: dict, buckets: list[str]) -> dict:
    out = {k: v for k, v in row.items() if k not in (*MONEY_COLUMNS, *buckets)}
    out["invoices"] = int(row.get("invoices") or 0)
    for column in (*MONEY_COLUMNS, *buckets):
        out[column] = Decimal(row.get(column) or 0).quantize(Decimal("0.01"))
    return out


def _ar_totals(found: list[dict], buckets: list[str]) -> dict:
    totals = {"invoices": sum(r["invoices"] for r in found)}
    for column in (*MONEY_COLUMNS, *buckets):
        totals[column] = sum((r[column] for r in found), Decimal("0.00"))
    return totals


def _ar_from_summary(summary: dict[str, str], group_by: str, buckets: list[str]) -> dict:
    columns = (*MONEY_COLUMNS, *buckets)

    def read(prefix: str) -> dict:
        row = {"invoices": int(summary.get(f"{prefix}:invoices", 0))}
        row.update({c: from_cents(summary.get(f"{prefix}:{c}", 0)) for c in columns})
        return row

    totals = read("all")
    if group_by == "all":
        return {"rows": [], "totals": totals}
    payer_ids = sorted({int(k.split(":")[1]) for k in summary if k.startswith("payer:")})
    found = [
        {"payer_id": pid, "payer_name": summary.get(f"payer:{pid}:name", ""), **read(f"payer:{pid}")}
        for pid in payer_ids
    ]
    found.sort(key=lambda r: (-r["outstanding"], r["payer_id"]))
    return {"rows": found, "totals": totals}


# --- Revenue, diagnoses, stock ----------------------------------------------------------------------


def revenue_totals(*, start: datetime.date, end: datetime.date) -> dict:
    """Invoiced, collected and credited between two dates (inclusive), from the daily view."""

    def query(cursor):
        (totals,) = rows(cursor, TOTALS_SQL, {"start": start, "end": end})
        return {"totals": {k: Decimal(v).quantize(Decimal("0.01")) for k, v in totals.items()}}

    return {"start": start.isoformat(), "end": end.isoformat(), **_from_view("revenue", query)}


def revenue_today_and_month() -> dict:
    if meta := _redis_meta("revenue"):
        try:
            summary = store.read_hash("revenue", "summary")
            periods = {
                period: {m: from_cents(summary.get(f"{period}:{m}", 0)) for m in ("invoiced", "collected", "credited")}
                for period in ("today", "month")
            }
            return _from_redis(meta, periods)
        except Exception:
            log.warning("Redis read failed for revenue; reading the view", exc_info=True)
    today = timezone.localdate()

    def query(cursor):
        out = {}
        for period, start in (("today", today), ("month", today.replace(day=1))):
            (totals,) = rows(cursor, TOTALS_SQL, {"start": start, "end": today})
            out[period] = {k: Decimal(v).quantize(Decimal("0.01")) for k, v in totals.items()}
        return out

    return _from_view("revenue", query)


def top_diagnoses(*, month: datetime.date | None = None, limit: int = 10) -> dict:
    month = (month or timezone.localdate()).replace(day=1)
    if month == timezone.localdate().replace(day=1) and limit <= 10 and (meta := _redis_meta("diagnosis_trends")):
        try:
            descriptions = store.read_hash("diagnosis_trends", "descriptions")
            top = [
                {"code": code, "description": descriptions.get(code, ""), "count": count}
                for code, count in store.read_top("diagnosis_trends", limit)
            ]
            return _from_redis(meta, {"month": month.isoformat(), "rows": top})
        except Exception:
            log.warning("Redis read failed for diagnosis_trends; reading the view", exc_info=True)

    def query(cursor):
        found = rows(
            cursor,
            f"""SELECT code, max(description) AS description, sum(diagnoses)::int AS count FROM {MONTHLY.name}
                WHERE month = %s GROUP BY code ORDER BY count DESC, code LIMIT %s""",
            [month, limit],
        )
        return {"rows": found}

    return {"month": month.isoformat(), **_from_view("diagnosis_trends", query)}


def pharmacy_stock_summary() -> dict:
    if meta := _redis_meta("pharmacy_stock"):
        try:
            summary = store.read_hash("pharmacy_stock", "summary")
            data = {k: int(v) for k, v in summary.items() if k not in ("day", "stock_value")}
            data["stock_value"] = from_cents(summary.get("stock_value", 0))
            return _from_redis(meta, {"totals": data})
        except Exception:
            log.warning("Redis read failed for pharmacy_stock; reading the view", exc_info=True)
    today = timezone.localdate()

    def query(cursor):
        (drugs,) = rows(
            cursor,
            f"SELECT count(*) FILTER (WHERE below_reorder) AS low_stock, COALESCE(sum(stock_value), 0) AS stock_value "
            f"FROM {DRUGS.name}",
        )
        (batches,) = rows(
            cursor,
            f"""SELECT count(*) FILTER (WHERE expiry_date < %(t)s) AS expired,
                       count(*) FILTER (WHERE expiry_date BETWEEN %(t)s AND %(t)s + 30) AS expiring_30,
                       count(*) FILTER (WHERE expiry_date BETWEEN %(t)s AND %(t)s + 60) AS expiring_60,
                       count(*) FILTER (WHERE expiry_date BETWEEN %(t)s AND %(t)s + 90) AS expiring_90
                FROM {BATCHES.name}""",
            {"t": today},
        )
        totals = {
            "low_stock": int(drugs["low_stock"]),
            "stock_value": Decimal(drugs["stock_value"]).quantize(Decimal("0.01")),
        }
        totals.update({k: int(v) for k, v in batches.items()})
        return {"totals": totals}

    return _from_view("pharmacy_stock", query)


# --- Dashboard ---------------------------------------------------------------------------------------


def dashboard() -> dict:
    """Headline numbers: one Redis read when warm, else assembled from the views."""
    try:
        summary = store.read_hash(DASHBOARD, "summary")
    except Exception:  # noqa: BLE001
        summary = {}
    fresh_as_of = parse_datetime(summary.get("fresh_as_of") or "")
    usable = (
        fresh_as_of
        and summary.get("built_on") == timezone.localdate().isoformat()
        and (timezone.now() - fresh_as_of).total_seconds() <= settings.PROJECTION_MAX_STALE_SECONDS
    )
    if usable:
        data = {
            "today_invoiced": from_cents(summary["today_invoiced"]),
            "today_collected": from_cents(summary["today_collected"]),
            "month_invoiced": from_cents(summary["month_invoiced"]),
            "ar_outstanding": from_cents(summary["ar_outstanding"]),
            "ar_over_90": from_cents(summary["ar_over_90"]),
            "open_encounters": int(summary["open_encounters"]),
            "low_stock": int(summary["low_stock"]),
            "expiring_30": int(summary["expiring_30"]),
            "expired_batches": int(summary["expired_batches"]),
            "top_diagnoses": json.loads(summary["top_diagnoses"]),
        }
        return {
            "source": "redis",
            "database": None,
            **data,
            **_freshness(parse_datetime(summary["refreshed_at"]), fresh_as_of),
        }
    return _dashboard_from_views()


def _dashboard_from_views() -> dict:
    ar = ar_aging(group_by="all")
    revenue = revenue_today_and_month()
    stock = pharmacy_stock_summary()
    top = top_diagnoses(limit=5)

    def census(cursor):
        cursor.execute("SELECT COALESCE(sum(open_encounters), 0) FROM reports_open_encounters")
        return {"open_encounters": int(cursor.fetchone()[0])}

    open_encounters = _from_view("census", census)
    over_90 = [name for name in ar["buckets"] if name.startswith(("91_", "121_"))]
    parts = (ar, revenue, stock, top, open_encounters)
    fresh = [parse_datetime(p["fresh_as_of"]) for p in parts if p.get("fresh_as_of")]
    refreshed = [parse_datetime(p["refreshed_at"]) for p in parts if p.get("refreshed_at")]
    return {
        "source": "materialized_view",
        "database": open_encounters["database"],
        "today_invoiced": revenue["today"]["invoiced"],
        "today_collected": revenue["today"]["collected"],
        "month_invoiced": revenue["month"]["invoiced"],
        "ar_outstanding": ar["totals"]["outstanding"],
        "ar_over_90": sum((ar["totals"][b] for b in over_90), Decimal("0.00")),
        "open_encounters": open_encounters["open_encounters"],
        "low_stock": stock["totals"]["low_stock"],
        "expiring_30": stock["totals"]["expiring_30"],
        "expired_batches": stock["totals"]["expired"],
        "top_diagnoses": top["rows"],
        **_freshness(max(refreshed) if refreshed else None, min(fresh) if len(fresh) == len(parts) else None),
    }
