"""Revenue: invoiced, collected and credited per day x department x service x payer.

Invoiced counts issued (not void) invoices by posting date, per line. Payments and credit notes are
spread over the invoice's lines in proportion to each line's share of the total (exact numeric in the
view; rounded to cents only when reported), so collections can be read by department and service too.
Lines without a service (e.g. dispensed drugs) have service 0 and department 0 ("other").

Two projections of the same shape (reports/projections/window.py): `revenue` holds the days from the
history's cutoff on (usually today) and follows every write; `revenue_history` holds every day and is
refreshed for changes dated before today, and nightly.
"""

import datetime as dt

from django.utils import timezone

from reports.projections import window
from reports.projections.base import NIGHTLY, SUMMARY, VIEWS, DashboardFields, Projection, View, cents, rows

_DAILY = """
WITH lines AS (
    SELECT l.invoice_id, COALESCE(s.department_id, 0) AS department_id, COALESCE(l.service_id, 0) AS service_id,
           i.payer_id, i.posting_date, l.line_total, i.total
    FROM billing_invoiceline l
    JOIN billing_invoice i ON i.id = l.invoice_id
    LEFT JOIN billing_service s ON s.id = l.service_id
    WHERE i.status IN ('issued', 'partially_paid', 'paid'){recent_invoices}
), events AS (
    SELECT posting_date AS day, department_id, service_id, payer_id,
           line_total AS invoiced, 0::numeric AS collected, 0::numeric AS credited
    FROM lines{since_posted}
    UNION ALL
    SELECT p.paid_on, l.department_id, l.service_id, l.payer_id, 0, p.amount * l.line_total / l.total, 0
    FROM billing_payment p JOIN lines l ON l.invoice_id = p.invoice_id WHERE l.total > 0{since_paid}
    UNION ALL
    SELECT c.credited_on, l.department_id, l.service_id, l.payer_id, 0, 0, c.amount * l.line_total / l.total
    FROM billing_creditnote c JOIN lines l ON l.invoice_id = c.invoice_id WHERE l.total > 0{since_credited}
)
SELECT e.day, e.department_id, COALESCE(dep.name, 'Other charges') AS department_name,
       e.service_id, COALESCE(s.code || ' ' || s.name, 'Other charges (drugs, ad hoc)') AS service_name,
       e.payer_id, y.name AS payer_name,
       sum(e.invoiced) AS invoiced, sum(e.collected) AS collected, sum(e.credited) AS credited
FROM events e
LEFT JOIN clinical_department dep ON dep.id = e.department_id
LEFT JOIN billing_service s ON s.id = e.service_id
JOIN billing_payer y ON y.id = e.payer_id
GROUP BY e.day, e.department_id, dep.name, e.service_id, s.code, s.name, e.payer_id, y.name
"""


def daily_select(since: str = "") -> str:
    """The daily view's SELECT; with `since` (SQL for a date), only the days from then on: invoices posted
    since then, payments and credits made since then (on any invoice)."""
    recent_invoices = since_posted = since_paid = since_credited = ""
    if since:
        recent_invoices = f"\n      AND i.id IN {window.invoices_touched_since(since)}"
        since_posted = f" WHERE posting_date >= {since}"
        since_paid = f" AND p.paid_on >= {since}"
        since_credited = f" AND c.credited_on >= {since}"
    return (
        _DAILY.replace("{recent_invoices}", recent_invoices)
        .replace("{since_posted}", since_posted)
        .replace("{since_paid}", since_paid)
        .replace("{since_credited}", since_credited)
    )


HISTORY_NAME = "revenue_history"

DAILY = View(
    name="reports_revenue_daily",
    select=daily_select(),
    unique=("day", "department_id", "service_id", "payer_id"),
    indexes=(("department_id",), ("payer_id",)),
    held=f"day < {window.cutoff_sql(HISTORY_NAME)}",
)
RECENT = View(
    name="reports_revenue_recent",
    select=daily_select(window.cutoff_sql(HISTORY_NAME)),
    unique=("day", "department_id", "service_id", "payer_id"),
    indexes=(("day",),),
)

# Whole months of the history, one row per month (in `day`, the first of the month) x department x
# service x payer: a year of revenue is a few thousand rows here instead of a hundred thousand.
# It ends before the month of its refresh, so every month before the cutoff's month is in it.
MONTHLY = View(
    name="reports_revenue_monthly",
    select=f"""
SELECT date_trunc('month', day)::date AS day, department_id, department_name, service_id, service_name,
       payer_id, payer_name, sum(invoiced) AS invoiced, sum(collected) AS collected, sum(credited) AS credited
FROM {DAILY.name} WHERE day < date_trunc('month', current_date)
GROUP BY 1, 2, 3, 4, 5, 6, 7
""",
    unique=("day", "department_id", "service_id", "payer_id"),
    held=f"day < {window.month_of(window.cutoff_sql(HISTORY_NAME))}",
)

# Every day, read from both daily views (history before the cutoff, recent from it on).
BOTH = f"{window.union(DAILY.name, RECENT.name, 'day', HISTORY_NAME)} AS daily"


def days(start: dt.date, end: dt.date, name: str = "daily") -> tuple[str, dict]:
    """(FROM item, params) for the days start..end, each exactly once: the whole months in the range that
    end before the cutoff's month from the monthly view (a row per month, dated its first day), the other
    days before the cutoff from the daily history (the part month before the first whole month, and the
    days after the last), the rest from the recent view. Group by month or not at all over it; for days
    or weeks use BOTH."""
    whole_from = start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    whole_until = (end + dt.timedelta(days=1)).replace(day=1)  # exclusive
    cutoff = window.cutoff_sql(HISTORY_NAME)
    p = {k: f"%({name}_{k})s" for k in ("start", "after_end", "whole_from", "whole_until")}
    months_end = f"LEAST({p['whole_until']}, {window.month_of(cutoff)})"  # the whole months: [whole_from, this)
    # Each part is one index range, with the cutoff in its index condition (window.cutoff_sql): evaluated
    # once per scan, not once per row as under an OR of ranges.
    sql = f"""(SELECT * FROM {MONTHLY.name} WHERE day >= {p["whole_from"]} AND day < {months_end}
    UNION ALL SELECT * FROM {DAILY.name}
        WHERE day >= {p["start"]} AND day < LEAST({p["whole_from"]}, {p["after_end"]}, {cutoff})
    UNION ALL SELECT * FROM {DAILY.name}
        WHERE day >= GREATEST({p["whole_from"]}, {months_end}) AND day < LEAST({p["after_end"]}, {cutoff})
    UNION ALL SELECT * FROM {RECENT.name}
        WHERE day >= GREATEST({p["start"]}, {cutoff}) AND day < {p["after_end"]}) AS {name}"""
    params = {
        f"{name}_whole_from": whole_from,
        f"{name}_whole_until": whole_until,
        f"{name}_start": start,
        f"{name}_after_end": end + dt.timedelta(days=1),
    }
    return sql, params


TOTALS_SQL = f"""
SELECT COALESCE(sum(invoiced), 0) AS invoiced, COALESCE(sum(collected), 0) AS collected,
       COALESCE(sum(credited), 0) AS credited
FROM {BOTH} WHERE day BETWEEN %(start)s AND %(end)s
"""

MONTHS_SQL = """
SELECT to_char(day, 'YYYY-MM') AS month, department_id, sum(invoiced) AS invoiced, sum(collected) AS collected,
       sum(credited) AS credited
FROM {source} WHERE day >= %(since)s GROUP BY 1, 2
"""


def months_by_department(cursor, since: dt.date, source: str | None = None) -> dict[str, int]:
    """{"YYYY-MM:department:metric": cents} from `since` to today (from the views unless `source`, a FROM
    item, is given)."""
    out, params = {}, {"since": since}
    if source is None:
        source, extra = days(since, timezone.localdate())
        params.update(extra)
    for row in rows(cursor, MONTHS_SQL.format(source=source), params):
        for metric in ("invoiced", "collected", "credited"):
            out[f"{row['month']}:{row['department_id']}:{metric}"] = cents(row[metric])
    return out


class Revenue(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        today = timezone.localdate()
        summary = {"day": today.isoformat()}
        for period, start in (("today", today), ("month", today.replace(day=1))):
            (totals,) = rows(cursor, TOTALS_SQL, {"start": start, "end": today})
            for name, value in totals.items():
                summary[f"{period}:{name}"] = cents(value)
        # The trailing year by month and department (one statement over the views).
        return {"summary": summary, "months": months_by_department(cursor, year_ago())}


def year_ago() -> dt.date:
    """The first day of the month twelve months back: what Redis keeps by month and department."""
    month = timezone.localdate().replace(day=1)
    for _ in range(12):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


SOURCES = (
    "billing.Invoice",
    "billing.InvoiceLine",
    "billing.Payment",
    "billing.CreditNote",
    "billing.Service",
    "billing.Payer",
    "clinical.Department",
)


def _dated_before_today(source: str, instance, update_fields, created=False) -> bool:
    """Does this change touch a day the history view alone holds? (Names touch every day.)"""
    billing = window.billing_dated_before_today(source, instance, update_fields)
    if billing is not None:
        return billing
    # Lines change only while their invoice is a draft, which the views leave out (issuing saves the
    # invoice itself); a renamed service, payer or department appears on every day (a new one on none).
    return source != "billing.invoiceline" and not created


def _dashboard(found) -> dict[str, str]:
    summary = found["summary"]
    return {
        "today_invoiced": summary.get("today:invoiced", "0"),
        "today_collected": summary.get("today:collected", "0"),
        "month_invoiced": summary.get("month:invoiced", "0"),
    }


PROJECTION = Revenue(
    name="revenue",
    title="Revenue",
    views=(RECENT,),
    sources=SOURCES,
    calendar=SUMMARY,  # today and this month
    dashboard=DashboardFields(_dashboard),
    functions=(window.CUTOFF,),
)
HISTORY = Projection(
    name=HISTORY_NAME,
    title="Revenue (history)",
    views=(DAILY, MONTHLY),
    sources=SOURCES,
    wants=_dated_before_today,
    then="revenue",
    reconcile=NIGHTLY,  # 3 years of lines: ~30 s live at 3M lines
    min_interval=60,
    calendar=VIEWS,  # yesterday moves in from the recent view; the monthly view ends before this month
    functions=(window.CUTOFF,),
)
