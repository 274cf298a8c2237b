"""AR aging: outstanding by bucket, grouped by payer, patient, invoice or all.

Every row (and the totals) carries `buckets`: a list in the order of the answer's `buckets`, each
{label, from_days, to_days, amount}. The SQL names its bucket columns by their bounds (bucket_names); those
names stay inside this module and the Redis summary.
"""

import datetime
import functools
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from reports.projections.ar_aging import (
    DEFAULT_RANGES,
    LEDGER_SOURCE,
    aging_sql,
    bucket_names,
    buckets,
    open_aging_sql,
)
from reports.projections.base import from_cents, rows
from reports.queries import live
from reports.queries.common import from_redis, from_summary, from_view

MONEY_COLUMNS = ("invoiced", "paid", "credited", "outstanding")


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
    header = {
        "as_of": as_of.isoformat(),
        "basis": basis,
        "ranges": list(ranges),
        "group_by": group_by,
        "buckets": buckets(ranges),
    }
    summary_fits = as_of == today and basis == "due_date" and ranges == DEFAULT_RANGES and group_by in ("payer", "all")
    if summary_fits and payer_id is None and patient_id is None:
        found = from_summary(
            "ar_aging", ("summary",), lambda f: _ar_from_summary(f["summary"], group_by, ranges), key=(group_by,)
        )
        if found:
            meta, data = found
            return from_redis(meta, {**header, **data})

    filters, params = "", {"as_of": as_of}
    if payer_id is not None:
        filters += " AND payer_id = %(payer_id)s"
        params["payer_id"] = payer_id
    if patient_id is not None:
        filters += " AND patient_id = %(patient_id)s"
        params["patient_id"] = patient_id

    sql, projection = _aging_sql(as_of, basis, ranges, group_by, filters, patient_id)

    def query(cursor):
        found = [_ar_row(row, ranges) for row in rows(cursor, sql, params)]
        if group_by == "all":
            totals = found[0] if found else _ar_row({}, ranges)
            return {"rows": [], "totals": totals}
        return {"rows": found, "totals": _ar_totals(found, ranges)}

    return {**header, **from_view(projection, query)}


def _aging_sql(as_of, basis, ranges, group_by, filters, patient_id) -> tuple[str, str | tuple[str, ...]]:
    """(SQL, projection): today by payer or overall from the open-balances view, which follows every
    write; any other date, or by patient or invoice, from the ledger."""
    if as_of == timezone.localdate() and group_by in ("payer", "all") and patient_id is None:
        return open_aging_sql(group_by=group_by, basis=basis, ranges=ranges, filters=filters), "ar_aging"
    ledger = aging_sql(LEDGER_SOURCE, group_by=group_by, basis=basis, ranges=ranges, filters=filters)
    return ledger, ("ar_ledger", "ar_ledger_recent")


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


@functools.cache
def _buckets(ranges: tuple[int, ...]) -> tuple[tuple[str, ...], tuple[dict, ...]]:
    """(SQL column names, descriptions) of the buckets: asked once per ranges, not once per row of an export."""
    return tuple(bucket_names(ranges)), tuple(buckets(ranges))


def _with_buckets(row: dict, amounts: list[Decimal], ranges) -> dict:
    specs = _buckets(tuple(ranges))[1]
    row["buckets"] = [{**spec, "amount": amount} for spec, amount in zip(specs, amounts, strict=True)]
    return row


def _ar_row(row: dict, ranges) -> dict:
    names = _buckets(tuple(ranges))[0]
    out = {k: v for k, v in row.items() if k not in (*MONEY_COLUMNS, *names)}
    out["invoices"] = int(row.get("invoices") or 0)
    for column in MONEY_COLUMNS:
        out[column] = _money(row.get(column))
    return _with_buckets(out, [_money(row.get(name)) for name in names], ranges)


def _ar_totals(found: list[dict], ranges) -> dict:
    totals = {"invoices": sum(r["invoices"] for r in found)}
    for column in MONEY_COLUMNS:
        totals[column] = sum((r[column] for r in found), Decimal("0.00"))
    amounts = [sum((r["buckets"][i]["amount"] for r in found), Decimal("0.00")) for i in range(len(ranges) + 2)]
    return _with_buckets(totals, amounts, ranges)


def _ar_from_summary(summary: dict[str, str], group_by: str, ranges=DEFAULT_RANGES) -> dict:
    names = _buckets(tuple(ranges))[0]

    def read(prefix: str) -> dict:
        row = {"invoices": int(summary.get(f"{prefix}:invoices", 0))}
        row.update({c: from_cents(summary.get(f"{prefix}:{c}", 0)) for c in MONEY_COLUMNS})
        return _with_buckets(row, [from_cents(summary.get(f"{prefix}:{name}", 0)) for name in names], ranges)

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


def ar_aging_rows(
    *,
    as_of: datetime.date,
    basis: str = "due_date",
    ranges: tuple[int, ...] = DEFAULT_RANGES,
    group_by: str = "payer",
    payer_id: int | None = None,
    patient_id: int | None = None,
):
    """The same rows as ar_aging(), streamed from a server-side cursor (for CSV exports of any size)."""
    from django.db import connections

    from core.routing.router import read_alias

    ranges = tuple(ranges)
    filters, params = "", {"as_of": as_of}
    if payer_id is not None:
        filters, params["payer_id"] = filters + " AND payer_id = %(payer_id)s", payer_id
    if patient_id is not None:
        filters, params["patient_id"] = filters + " AND patient_id = %(patient_id)s", patient_id
    sql, _ = _aging_sql(as_of, basis, ranges, group_by, filters, patient_id)
    alias = read_alias()  # chosen now, inside the request, not when the response is streamed
    if settings.REPORTS_LIVE:  # the benchmark's "before": computed from the write tables on the primary
        alias, sql = "default", live.sql(sql, with_params=True)

    def stream():
        with connections[alias].chunked_cursor() as cursor:
            cursor.execute(sql, params)
            names = [c.name for c in cursor.description]
            while batch := cursor.fetchmany(2000):
                for row in batch:
                    yield _ar_row(dict(zip(names, row, strict=True)), ranges)

    return stream()
