"""Pharmacy stock: every drug's position, batches expiring within 30/60/90 days, expired stock on the shelf."""

import datetime
from decimal import Decimal

from django.utils import timezone

from reports.projections.base import rows
from reports.projections.pharmacy_stock import BATCHES, DRUGS
from reports.queries.common import from_view

WINDOWS = (30, 60, 90)


def pharmacy_stock(*, within_days: int = 90) -> dict:
    today = timezone.localdate()

    def query(cursor):
        drugs = rows(
            cursor,
            f"""SELECT drug_id, code, generic_name, strength, unit, reorder_level, on_hand, expired_on_hand,
                       earliest_expiry, stock_value, below_reorder
                FROM {DRUGS.name} ORDER BY below_reorder DESC, generic_name, strength""",
        )
        batches = rows(
            cursor,
            f"""SELECT batch_id, code, generic_name, strength, lot_number, expiry_date, quantity_on_hand, value
                FROM {BATCHES.name} WHERE expiry_date <= %(until)s ORDER BY expiry_date, generic_name""",
            {"until": today + datetime.timedelta(days=within_days)},
        )
        for batch in batches:
            days_left = (batch["expiry_date"] - today).days
            batch["days_left"] = days_left
            # A name, not a number: a generated client turns the values into an enum's members.
            within = next((f"within_{w}" for w in WINDOWS if days_left <= w), "later")
            batch["window"] = "expired" if days_left < 0 else within
            batch["value"] = Decimal(batch["value"]).quantize(Decimal("0.01"))
        for drug in drugs:
            drug["stock_value"] = Decimal(drug["stock_value"]).quantize(Decimal("0.01"))
        totals = {
            "drugs": len(drugs),
            "low_stock": sum(1 for d in drugs if d["below_reorder"]),
            "stock_value": sum((d["stock_value"] for d in drugs), Decimal("0.00")),
            "expired_batches": sum(1 for b in batches if b["window"] == "expired"),
            "expired_value": sum((b["value"] for b in batches if b["window"] == "expired"), Decimal("0.00")),
            **{
                f"expiring_{w}": sum(1 for b in batches if b["window"] != "expired" and b["days_left"] <= w)
                for w in WINDOWS
            },
        }
        return {"rows": drugs, "batches": batches, "totals": totals}

    return {"as_of": today.isoformat(), "within_days": within_days, **from_view("pharmacy_stock", query)}
