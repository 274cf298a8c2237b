"""AR aging: today's open balances, and a ledger for any other date.

`ar_aging` follows every write: one row per payer x posting date x due date with the open invoices'
count and amounts (tens of thousands of rows however many invoices there are), enough for today's aging
by payer or overall on either basis and any bucket ranges. Redis holds today's buckets per payer and
overall, due-date basis, default ranges.

`ar_ledger` holds every issued invoice's total, payments and credits with their dates, so any as-of date
can be reported as it stood then: an invoice paid after the as-of date still counts as outstanding at that
date (the ERPNext and Odoo convention); it also answers by patient or invoice. It is millions of rows at
hospital scale, so it is refreshed at most once a minute.
"""

import itertools

from django.utils import timezone

from reports.projections import window
from reports.projections.base import (
    CHANGES,
    NIGHTLY,
    SUMMARY,
    VIEWS,
    DashboardFields,
    Increment,
    Projection,
    View,
    cents,
    rows,
)

DEFAULT_RANGES = (30, 60, 90, 120)
OPEN_STATUSES = "('issued', 'partially_paid', 'paid')"

_ENTRIES = f"""
WITH inv AS (
    SELECT i.id, i.number, i.patient_id, p.family_name || ', ' || p.given_name AS patient_name, p.mrn,
           i.payer_id, y.name AS payer_name, i.posting_date, i.due_date, i.total
    FROM billing_invoice i
    JOIN clinical_patient p ON p.id = i.patient_id
    JOIN billing_payer y ON y.id = i.payer_id
    WHERE i.status IN {OPEN_STATUSES}{{recent_invoices}}{{only}}
)
SELECT 'i' || inv.id AS entry, inv.id AS invoice_id, inv.number, inv.patient_id, inv.patient_name, inv.mrn,
       inv.payer_id, inv.payer_name, inv.posting_date, inv.due_date, inv.posting_date AS entry_date,
       'invoiced'::text AS kind, inv.total AS amount
FROM inv{{since_posted}}
UNION ALL
SELECT 'p' || m.id, inv.id, inv.number, inv.patient_id, inv.patient_name, inv.mrn, inv.payer_id, inv.payer_name,
       inv.posting_date, inv.due_date, m.paid_on, 'paid', -m.amount
FROM billing_payment m JOIN inv ON inv.id = m.invoice_id{{since_paid}}
UNION ALL
SELECT 'c' || c.id, inv.id, inv.number, inv.patient_id, inv.patient_name, inv.mrn, inv.payer_id, inv.payer_name,
       inv.posting_date, inv.due_date, c.credited_on, 'credited', -c.amount
FROM billing_creditnote c JOIN inv ON inv.id = c.invoice_id{{since_credited}}
"""


def entries_select(since: str = "", only: str = "") -> str:
    """The ledger's SELECT; with `since` (SQL for a date), only the entries dated from then on; with `only`
    (a subquery of invoice ids), only those invoices' entries."""
    parts = dict.fromkeys(("{recent_invoices}", "{since_posted}", "{since_paid}", "{since_credited}"), "")
    parts["{only}"] = f"\n      AND i.id IN {only}" if only else ""
    if since:
        parts["{recent_invoices}"] = f"\n      AND i.id IN {window.invoices_touched_since(since)}"
        parts["{since_posted}"] = f" WHERE inv.posting_date >= {since}"
        parts["{since_paid}"] = f" WHERE m.paid_on >= {since}"
        parts["{since_credited}"] = f" WHERE c.credited_on >= {since}"
    select = _ENTRIES
    for placeholder, text in parts.items():
        select = select.replace(placeholder, text)
    return select


LEDGER_NAME = "ar_ledger"
BILLING_CHANGES = ("billing.invoice", "billing.payment", "billing.creditnote")

# The invoices %(changes)s touch: a payment's or credit note's invoice (NULL when it no longer exists).
CHANGED_INVOICES = f"""{CHANGES}
SELECT id AS invoice_id FROM changes WHERE source = 'billing.invoice'
UNION SELECT p.invoice_id FROM changes c LEFT JOIN billing_payment p ON p.id = c.id WHERE c.source = 'billing.payment'
UNION SELECT n.invoice_id FROM changes c LEFT JOIN billing_creditnote n ON n.id = c.id
WHERE c.source = 'billing.creditnote'
"""

# The ledger in two (reports/projections/window.py): every entry, refreshed for changes dated before
# today; and the entries from the last refresh day on, which follows every write.
ENTRIES = View(
    name="reports_ar_entries",
    select=entries_select(),
    unique=("entry",),
    indexes=(("invoice_id",), ("payer_id",), ("patient_id",), ("posting_date",)),
    held=f"entry_date < {window.cutoff_sql(LEDGER_NAME)}",
)
RECENT_ENTRIES = View(
    name="reports_ar_entries_recent",
    select=entries_select(window.cutoff_sql(LEDGER_NAME)),
    unique=("entry",),
    indexes=(("invoice_id",),),
    # A change recomputes its invoice's entries. (The window's start moves only when the history is
    # refreshed, which then recomputes all of this view.)
    increment=Increment(
        key=(("invoice_id", "bigint"),),
        sources=(*BILLING_CHANGES, "clinical.patient"),
        # A patient's new name or MRN is on the entries of their invoices in this view.
        touched=f"""{CHANGED_INVOICES}
UNION SELECT e.invoice_id FROM changes c JOIN reports_ar_entries_recent e ON e.patient_id = c.id
WHERE c.source = 'clinical.patient'""",
        select=entries_select(window.cutoff_sql(LEDGER_NAME), only="{touched}"),
    ),
)
LEDGER_SOURCE = window.union(ENTRIES.name, RECENT_ENTRIES.name, "entry_date", LEDGER_NAME)

_OPEN = """
SELECT o.payer_id, y.name AS payer_name, o.posting_date, o.due_date, o.invoices, o.invoiced, o.paid, o.credited,
       o.outstanding
FROM (
    SELECT payer_id, posting_date, due_date, count(*) AS invoices, sum(total) AS invoiced, sum(amount_paid) AS paid,
           sum(amount_credited) AS credited, sum(total - amount_paid - amount_credited) AS outstanding
    FROM billing_invoice WHERE status IN ('issued', 'partially_paid'){only}
    GROUP BY payer_id, posting_date, due_date
) AS o JOIN billing_payer y ON y.id = o.payer_id
"""

OPEN = View(
    name="reports_ar_open",
    # Issued and partly paid invoices are the open ones (a paid invoice owes nothing: the billing
    # commands set the status from the amounts). An index-only scan of their partial covering index.
    select=_OPEN.replace("{only}", ""),
    unique=("payer_id", "posting_date", "due_date"),
    # A change recomputes its invoice's payer x posting date x due date: a few index entries, where the
    # whole view is every open invoice (an invoice's payer and dates are fixed once it is issued).
    increment=Increment(
        key=(("payer_id", "bigint"), ("posting_date", "date"), ("due_date", "date")),
        sources=BILLING_CHANGES,
        touched=f"""SELECT DISTINCT i.payer_id, i.posting_date, i.due_date
                    FROM ({CHANGED_INVOICES}) AS v LEFT JOIN billing_invoice i ON i.id = v.invoice_id""",
        select=_OPEN.replace("{only}", "\n      AND (payer_id, posting_date, due_date) IN {touched}"),
    ),
)

GROUPS = {
    "payer": ("payer_id", "payer_name"),
    "patient": ("patient_id", "patient_name", "mrn"),
    "invoice": (
        "invoice_id",
        "number",
        "patient_id",
        "patient_name",
        "mrn",
        "payer_id",
        "payer_name",
        "posting_date",
        "due_date",
    ),
    "all": (),
}


def bucket_names(ranges=DEFAULT_RANGES) -> list[str]:
    edges = [0, *ranges]
    names = ["not_due"]
    names += [f"{low + (1 if i else 0)}_{high}" for i, (low, high) in enumerate(itertools.pairwise(edges))]
    return [*names, f"{ranges[-1] + 1}_plus"]


def buckets(ranges=DEFAULT_RANGES) -> list[dict]:
    """The buckets as answers describe them, in order: {label, from_days, to_days}, ages in days (negative:
    not due yet); a bound is None where the bucket is open. The same list for any ranges, only longer or
    shorter: clients read a bucket's bounds, never a key made of them."""
    edges = [0, *ranges]
    found = [{"label": "Not due", "from_days": None, "to_days": -1}]
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        low = low + (1 if i else 0)
        found.append({"label": f"{low}-{high}", "from_days": low, "to_days": high})
    found.append({"label": f"{ranges[-1] + 1}+", "from_days": ranges[-1] + 1, "to_days": None})
    return found


def _bucket_columns(ranges) -> list[str]:
    edges = [0, *ranges]
    buckets = ["sum(outstanding) FILTER (WHERE age < 0) AS not_due"]
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        low = low + (1 if i else 0)
        buckets.append(f'sum(outstanding) FILTER (WHERE age BETWEEN {int(low)} AND {int(high)}) AS "{low}_{high}"')
    buckets.append(f'sum(outstanding) FILTER (WHERE age > {int(ranges[-1])}) AS "{int(ranges[-1]) + 1}_plus"')
    return buckets


def aging_sql(source: str, *, group_by: str, basis: str, ranges=DEFAULT_RANGES, filters: str = "") -> str:
    """SQL over `source` (the view, or the live SELECT as a subquery) giving one row per group.

    Params: %(as_of)s. Age = as_of - basis date, in days; "not due" when negative (due in the future).
    """
    basis_col = "due_date" if basis == "due_date" else "posting_date"
    keys = GROUPS[group_by]
    inner_keys = "".join(f", max({k}) AS {k}" if k != "invoice_id" else "" for k in keys)
    buckets = _bucket_columns(ranges)
    select_keys = ", ".join(keys)
    group = f"GROUP BY {select_keys}" if keys else ""
    order = f"ORDER BY sum(outstanding) DESC, {select_keys}" if keys else ""
    return f"""
    SELECT {select_keys + ", " if keys else ""}count(*) AS invoices,
           sum(invoiced) AS invoiced, sum(paid) AS paid, sum(credited) AS credited, sum(outstanding) AS outstanding,
           {", ".join(buckets)}
    FROM (
        SELECT invoice_id{inner_keys},
               sum(amount) FILTER (WHERE kind = 'invoiced') AS invoiced,
               COALESCE(-sum(amount) FILTER (WHERE kind = 'paid'), 0) AS paid,
               COALESCE(-sum(amount) FILTER (WHERE kind = 'credited'), 0) AS credited,
               sum(amount) AS outstanding,
               %(as_of)s::date - max({basis_col}) AS age
        FROM {source} AS entries
        WHERE posting_date <= %(as_of)s AND entry_date <= %(as_of)s {filters}
        GROUP BY invoice_id
        HAVING sum(amount) <> 0
    ) AS open_invoices
    {group} {order}
    """


def open_aging_sql(*, group_by: str, basis: str, ranges=DEFAULT_RANGES, filters: str = "") -> str:
    """Today's aging from the open-balances view, by payer or overall. Params: %(as_of)s (today)."""
    if group_by not in ("payer", "all"):
        raise ValueError("the open-balances view answers by payer or overall only")
    basis_col = "due_date" if basis == "due_date" else "posting_date"
    keys = GROUPS[group_by]
    buckets = _bucket_columns(ranges)
    select_keys = ", ".join(keys)
    return f"""
    SELECT {select_keys + ", " if keys else ""}sum(invoices) AS invoices, sum(invoiced) AS invoiced, sum(paid) AS paid,
           sum(credited) AS credited, sum(outstanding) AS outstanding, {", ".join(buckets)}
    FROM (SELECT *, %(as_of)s::date - {basis_col} AS age FROM {OPEN.name}
          WHERE posting_date <= %(as_of)s {filters}) AS open_balances
    {f"GROUP BY {select_keys} ORDER BY sum(outstanding) DESC, {select_keys}" if keys else ""}
    """


class ArAging(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        today = timezone.localdate()
        names = bucket_names()
        columns = ["invoices", "invoiced", "paid", "credited", "outstanding", *names]
        summary = {}
        for group in ("all", "payer"):
            for row in rows(cursor, open_aging_sql(group_by=group, basis="due_date"), {"as_of": today}):
                prefix = "all" if group == "all" else f"payer:{row['payer_id']}"
                if group == "payer":
                    summary[f"{prefix}:name"] = row["payer_name"]
                for col in columns:
                    value = row[col] or 0
                    summary[f"{prefix}:{col}"] = value if col == "invoices" else cents(value)
        if "all:outstanding" not in summary:  # nothing open: an explicit zero row
            summary.update({f"all:{col}": 0 for col in columns})
        return {"summary": summary}


# The dashboard's "over 90 days": the buckets past 90 days.
OVER_90 = [name for name in bucket_names() if name.startswith(("91_", "121_"))]


def _dashboard(found) -> dict[str, str]:
    summary = found["summary"]
    return {
        "ar_outstanding": summary.get("all:outstanding", "0"),
        "ar_over_90": str(sum(int(summary.get(f"all:{name}", 0)) for name in OVER_90)),
    }


SOURCES = ("billing.Invoice", "billing.Payment", "billing.CreditNote", "billing.Payer", "clinical.Patient")


def _not_a_draft(source: str, instance, update_fields, created=False) -> bool:
    """Drafts are in no AR view (their lines and totals change until they are issued), and a new patient
    or payer has no invoices yet."""
    if source in ("clinical.patient", "billing.payer"):
        return not created
    return not (source == "billing.invoice" and instance.status == "draft")


def _dated_before_today(source: str, instance, update_fields, created=False) -> bool:
    """Does this change touch an entry only the ledger's history holds?"""
    billing = window.billing_dated_before_today(source, instance, update_fields)
    if billing is not None:
        return billing
    if source == "clinical.patient":  # a patient registered today has no entries before today
        return window.before_today(instance.created_at)
    return not created  # a renamed payer is on its entries; a new one has none


PROJECTION = ArAging(
    name="ar_aging",
    title="AR aging",
    views=(OPEN,),
    sources=SOURCES[:4],
    wants=_not_a_draft,
    calendar=SUMMARY,  # ages count from today
    dashboard=DashboardFields(_dashboard),
)
LEDGER = Projection(
    name=LEDGER_NAME,
    title="AR ledger",
    views=(ENTRIES,),
    sources=SOURCES,
    wants=_dated_before_today,
    then="ar_ledger_recent",
    reconcile=NIGHTLY,  # 3 years of entries: ~30 s live at 1M invoices
    min_interval=60,
    calendar=VIEWS,  # yesterday moves in from the recent entries
    functions=(window.CUTOFF,),
)
LEDGER_RECENT = Projection(
    name="ar_ledger_recent",
    title="AR ledger (recent)",
    views=(RECENT_ENTRIES,),
    sources=SOURCES,
    wants=_not_a_draft,
    functions=(window.CUTOFF,),
)
