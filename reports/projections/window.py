"""History views and recent views: reports that follow every write at hospital scale.

Refreshing a view over three years of invoices takes tens of seconds, too slow to follow every write.
So revenue and diagnosis trends each have two views of the same shape:

- a *history* view holding every day, refreshed only when a change dated before today arrives (a void
  of an old invoice, a back-dated payment, a renamed department), at most once a minute
  (its declared min_interval), and each night just after midnight (calendar=VIEWS, reports.reage_summaries);
- a *recent* view holding only the days from its history view's last refresh date on: today's writes,
  usually, so it refreshes in milliseconds after every write. (Monthly views start at the first of that
  date's month, so that no month is split between the two.)

Readers take days before that date (the cutoff) from the history view and the rest from the recent one,
with the cutoff read in the same statement. Because the recent view computed its own start from the
cutoff as it stood at its refresh, and the cutoff only moves forward, the two always tile the calendar.
"""

import datetime as dt

from django.utils import timezone

from reports.projections.base import Function

# The cutoff: the day of a history view's last refresh (UTC), or 1970 before its first (then the recent
# view holds everything). A STABLE function rather than a subquery, so that the planner knows its value
# when it estimates (a subquery's value is unknown at planning, and a guess of a third of three years of
# invoices makes it scan them all).
CUTOFF = Function(
    signature="reports_cutoff(text)",
    sql="""
CREATE OR REPLACE FUNCTION reports_cutoff(projection text) RETURNS date STABLE LANGUAGE sql AS $$
    SELECT COALESCE(max((refreshed_at AT TIME ZONE 'UTC')::date), DATE '1970-01-01')
    FROM reports_projectionstate WHERE name = projection
$$
""",
)


def cutoff_sql(history_projection: str) -> str:
    """The cutoff as a function call. In an index condition it is evaluated once per scan; as a filter it
    is evaluated for every row (a few microseconds each), so compare it with indexed columns in simple
    ranges: an OR of ranges made a year of daily revenue spend 60 ms on it."""
    return f"reports_cutoff('{history_projection}')"


def before_today(day: dt.date | dt.datetime | None) -> bool:
    """Is a change dated `day` one that a history view may hold (so it must be refreshed)?"""
    if day is None:
        return False
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return day < timezone.localdate()


def month_of(date_sql: str) -> str:
    return f"date_trunc('month', {date_sql})::date"


def union(history: str, recent: str, column: str, history_projection: str, *, monthly: bool = False) -> str:
    """A FROM item: `history` before the cutoff, `recent` from it on. Monthly views split at the first of
    the cutoff's month (their recent view starts there)."""
    cutoff = cutoff_sql(history_projection)
    if monthly:
        cutoff = month_of(cutoff)
    return (
        f"(SELECT * FROM {history} WHERE {column} < {cutoff} "
        f"UNION ALL SELECT * FROM {recent} WHERE {column} >= {cutoff})"
    )


def invoices_touched_since(since: str) -> str:
    """SQL: the ids of invoices with an entry dated from `since` on (posted, paid or credited then)."""
    return f"""(SELECT id FROM billing_invoice WHERE posting_date >= {since}
                   UNION SELECT invoice_id FROM billing_payment WHERE paid_on >= {since}
                   UNION SELECT invoice_id FROM billing_creditnote WHERE credited_on >= {since})"""


# Saves of an invoice that leave its history rows as they are: payments and credits change only its
# balance and its status among issued / partially paid / paid, all of which the billing views count alike.
BALANCE_ONLY = frozenset({"amount_paid", "amount_credited", "status"})


def billing_dated_before_today(source: str, instance, update_fields) -> bool | None:
    """For an invoice, payment or credit note: does the change touch a day only a billing history view
    holds? (Drafts are in no view.) None for other sources, which the caller decides."""
    if source == "billing.invoice":
        balance_only = update_fields is not None and set(update_fields) <= BALANCE_ONLY
        return instance.status != "draft" and before_today(instance.posting_date) and not balance_only
    if source == "billing.payment":
        return before_today(instance.paid_on)
    if source == "billing.creditnote":
        return before_today(instance.credited_on)
    return None
