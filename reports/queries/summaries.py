"""Headline numbers: revenue today and this month, top diagnoses, stock counts, and the dashboard."""

import datetime
import json
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reports.engine import store
from reports.engine.freshness import combined, summary_usable
from reports.projections import DASHBOARD
from reports.projections.appointments import today_figures
from reports.projections.base import from_cents, rows
from reports.projections.bed_board import board, queue_totals, totals
from reports.projections.diagnosis_trends import month_top_sql
from reports.projections.pharmacy_stock import stock_totals
from reports.projections.queue_board import BOARD
from reports.projections.revenue import TOTALS_SQL
from reports.projections.ward_census import DAILY as CENSUS_DAILY
from reports.queries.ar import ar_aging
from reports.queries.common import freshness, from_redis, from_summary, from_view

BED_FIELDS = ("beds_occupied", "beds_in_service", "admission_queue", "midnight_census")


def revenue_today_and_month() -> dict:
    def periods(found) -> dict:
        summary = found["summary"]
        return {
            period: {m: from_cents(summary.get(f"{period}:{m}", 0)) for m in ("invoiced", "collected", "credited")}
            for period in ("today", "month")
        }

    if found := from_summary("revenue", ("summary",), periods):
        return from_redis(*found)
    today = timezone.localdate()

    def query(cursor):
        out = {}
        for period, start in (("today", today), ("month", today.replace(day=1))):
            (totals,) = rows(cursor, TOTALS_SQL, {"start": start, "end": today})
            out[period] = {k: Decimal(v).quantize(Decimal("0.01")) for k, v in totals.items()}
        return out

    return from_view("revenue", query)


def top_diagnoses(*, month: datetime.date | None = None, limit: int = 10) -> dict:
    month = (month or timezone.localdate()).replace(day=1)

    def ranked(found) -> dict:
        descriptions = found["descriptions"]
        top = [{"code": c, "description": descriptions.get(c, ""), "count": n} for c, n in found["top"]]
        return {"month": month.isoformat(), "rows": top}

    current = month == timezone.localdate().replace(day=1) and limit <= 10
    if current and (found := from_summary("diagnosis_trends", ("descriptions",), ranked, top=limit, key=(limit,))):
        return from_redis(*found)

    def query(cursor):
        found = rows(cursor, month_top_sql(), {"month": month, "limit": limit})
        return {"rows": [{"code": r["code"], "description": r["description"], "count": r["diagnoses"]} for r in found]}

    return {"month": month.isoformat(), **from_view(("diagnosis_trends", "diagnosis_history"), query)}


def pharmacy_stock_summary() -> dict:
    def totals(found) -> dict:
        summary = found["summary"]
        data = {k: int(v) for k, v in summary.items() if k not in ("day", "stock_value")}
        data["stock_value"] = from_cents(summary.get("stock_value", 0))
        return {"totals": data}

    if found := from_summary("pharmacy_stock", ("summary",), totals):
        return from_redis(*found)
    return from_view("pharmacy_stock", lambda cursor: {"totals": stock_totals(cursor)})


def dashboard() -> dict:
    """Headline numbers: one Redis read when warm, else assembled from the views."""
    try:
        summary = {} if settings.REPORTS_LIVE else store.read_hash(DASHBOARD, "summary")
    except Exception:  # noqa: BLE001
        summary = {}
    if summary_usable(summary):
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
            **{name: int(summary.get(name) or 0) for name in BED_FIELDS},
            **clinic_figures(summary),
        }
        return {
            "source": "redis",
            "database": None,
            **data,
            **freshness(parse_datetime(summary["refreshed_at"]), parse_datetime(summary["fresh_as_of"])),
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

    open_encounters = from_view("census", census)

    def beds(cursor):
        wards = board(cursor)
        found = totals(wards, queue_totals(cursor))
        return {"occupied": found["occupied"], "in_service": found["in_service"], "waiting": found["waiting"]}

    bed_totals = from_view("bed_board", beds)

    def last_census(cursor):
        cursor.execute(
            f"SELECT COALESCE(sum(census), 0) FROM {CENSUS_DAILY.name} "
            f"WHERE day = (SELECT max(day) FROM {CENSUS_DAILY.name})"
        )
        return {"census": int(cursor.fetchone()[0])}

    midnight = from_view("ward_census", last_census)
    clinics = from_view(("appointments", "queue_board"), _clinics_from_views)
    refreshed_at, fresh_as_of = combined((ar, revenue, stock, top, open_encounters, bed_totals, midnight, clinics))
    return {
        "source": "materialized_view",
        "database": open_encounters["database"],
        "today_invoiced": revenue["today"]["invoiced"],
        "today_collected": revenue["today"]["collected"],
        "month_invoiced": revenue["month"]["invoiced"],
        "ar_outstanding": ar["totals"]["outstanding"],
        "ar_over_90": sum(
            (b["amount"] for b in ar["totals"]["buckets"] if (b["from_days"] or 0) > 90), Decimal("0.00")
        ),
        "open_encounters": open_encounters["open_encounters"],
        "low_stock": stock["totals"]["low_stock"],
        "expiring_30": stock["totals"]["expiring_30"],
        "expired_batches": stock["totals"]["expired"],
        "top_diagnoses": top["rows"],
        "beds_occupied": bed_totals["occupied"],
        "beds_in_service": bed_totals["in_service"],
        "admission_queue": bed_totals["waiting"],
        "midnight_census": midnight["census"],
        **{name: clinics[name] for name in CLINIC_FIELDS},
        **freshness(refreshed_at, fresh_as_of),
    }


CLINIC_FIELDS = ("appointments_today", "no_shows_today", "average_wait_today", "queue_waiting")


def clinic_figures(summary: dict) -> dict:
    """Today's clinic tiles from the dashboard hash (absent in a hash written before they existed)."""
    wait = summary.get("average_wait_today", "")
    return {
        "appointments_today": int(summary.get("appointments_today") or 0),
        "no_shows_today": int(summary.get("no_shows_today") or 0),
        "average_wait_today": int(wait) if wait else None,
        "queue_waiting": int(summary.get("queue_waiting") or 0),
    }


def _clinics_from_views(cursor) -> dict:
    figures = today_figures(cursor)
    (board,) = rows(cursor, f"SELECT count(*) FILTER (WHERE status = 'waiting') AS waiting FROM {BOARD.name}")
    seen, wait = figures["seen"], figures["wait_seconds"]
    return {
        "appointments_today": figures["booked"],
        "no_shows_today": figures["no_shows"],
        "average_wait_today": int(wait / seen / 60 + 0.5) if seen else None,
        "queue_waiting": int(board["waiting"]),
    }


def revenue_months() -> dict[str, int]:
    """{"YYYY-MM:department:metric": cents} for the trailing year, from Redis (raises if Redis is down)."""
    return {key: int(value) for key, value in store.read_hash("revenue", "months").items()}
