"""Pharmacy stock: per drug on hand (usable), expired still on the shelf, earliest expiry, below reorder;
and every batch with stock, so "expiring within N days" is answered at query time.

The per-drug view depends on the calendar (what has expired), so it is also refreshed just after midnight.
Stock levels need not follow each dispense within half a second (the dispense itself reads live stock), and
under a dispensing pharmacy their refresh (~0.45 s at 20k batches) would otherwise run twice a second.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from reports.projections.base import CENT, CHANGES, VIEWS, DashboardFields, Increment, Projection, View, cents, rows

STOCK_CHANGES = ("pharmacy.stockbatch", "pharmacy.drug")

_DRUGS = """
SELECT d.id AS drug_id, d.code, d.generic_name, d.strength, d.unit, d.reorder_level,
       COALESCE(sum(b.quantity_on_hand) FILTER (WHERE b.expiry_date >= CURRENT_DATE), 0) AS on_hand,
       COALESCE(sum(b.quantity_on_hand) FILTER (WHERE b.expiry_date < CURRENT_DATE), 0) AS expired_on_hand,
       min(b.expiry_date) FILTER (WHERE b.expiry_date >= CURRENT_DATE AND b.quantity_on_hand > 0) AS earliest_expiry,
       COALESCE(sum(b.quantity_on_hand * b.unit_cost) FILTER (WHERE b.expiry_date >= CURRENT_DATE), 0) AS stock_value,
       COALESCE(sum(b.quantity_on_hand) FILTER (WHERE b.expiry_date >= CURRENT_DATE), 0) <= d.reorder_level
           AS below_reorder
FROM pharmacy_drug d
LEFT JOIN pharmacy_stockbatch b ON b.drug_id = d.id
WHERE d.active{only}
GROUP BY d.id
"""

# Both views follow changes key by key (reports/engine/increments.py): a dispense recomputes its batches and
# their drugs, not the whole formulary.
DRUGS = View(
    name="reports_pharmacy_drugs",
    select=_DRUGS.replace("{only}", ""),
    unique=("drug_id",),
    indexes=(("below_reorder",),),
    increment=Increment(
        key=(("drug_id", "bigint"),),
        sources=STOCK_CHANGES,
        touched=f"""{CHANGES}
SELECT id FROM changes WHERE source = 'pharmacy.drug'
UNION SELECT b.drug_id FROM changes c LEFT JOIN pharmacy_stockbatch b ON b.id = c.id
WHERE c.source = 'pharmacy.stockbatch'""",
        select=_DRUGS.replace("{only}", " AND d.id IN {touched}"),
    ),
)

_BATCHES = """
SELECT b.id AS batch_id, b.drug_id, d.code, d.generic_name, d.strength, b.lot_number, b.expiry_date,
       b.quantity_on_hand, b.unit_cost, b.quantity_on_hand * b.unit_cost AS value
FROM pharmacy_stockbatch b JOIN pharmacy_drug d ON d.id = b.drug_id
WHERE b.quantity_on_hand > 0{only}
"""

BATCHES = View(
    name="reports_pharmacy_batches",
    select=_BATCHES.replace("{only}", ""),
    unique=("batch_id",),
    indexes=(("expiry_date",), ("drug_id",)),
    increment=Increment(
        key=(("batch_id", "bigint"),),
        sources=STOCK_CHANGES,
        touched=f"""{CHANGES}
SELECT id FROM changes WHERE source = 'pharmacy.stockbatch'
UNION SELECT b.id FROM changes c JOIN pharmacy_stockbatch b ON b.drug_id = c.id WHERE c.source = 'pharmacy.drug'""",
        select=_BATCHES.replace("{only}", " AND b.id IN {touched}"),
    ),
)

EXPIRY_WINDOWS = (30, 60, 90)


def stock_totals(cursor) -> dict:
    """Today's stock headline from the views: drugs below their reorder level, stock value (Decimal), drugs
    holding expired units, expired batches and batches expiring within each window. The Redis summary and
    the answer read straight from the views both come from here."""
    today = timezone.localdate()
    (drugs,) = rows(
        cursor,
        f"""SELECT count(*) FILTER (WHERE below_reorder) AS low_stock, COALESCE(sum(stock_value), 0) AS value,
                   count(*) FILTER (WHERE expired_on_hand > 0) AS drugs_with_expired
            FROM {DRUGS.name}""",
    )
    windows = ", ".join(
        f"count(*) FILTER (WHERE expiry_date BETWEEN %(today)s AND %(d{n})s) AS expiring_{n}" for n in EXPIRY_WINDOWS
    )
    (expiring,) = rows(
        cursor,
        f"SELECT count(*) FILTER (WHERE expiry_date < %(today)s) AS expired, {windows} FROM {BATCHES.name}",
        {"today": today, **{f"d{n}": today + datetime.timedelta(days=n) for n in EXPIRY_WINDOWS}},
    )
    return {
        "low_stock": int(drugs["low_stock"]),
        "stock_value": Decimal(drugs["value"]).quantize(CENT),
        "drugs_with_expired": int(drugs["drugs_with_expired"]),
        **{name: int(value) for name, value in expiring.items()},
    }


class PharmacyStock(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        totals = stock_totals(cursor)
        summary = {**totals, "stock_value": cents(totals["stock_value"]), "day": timezone.localdate().isoformat()}
        return {"summary": summary}


def _dashboard(found) -> dict[str, str]:
    summary = found["summary"]
    return {
        "low_stock": summary.get("low_stock", "0"),
        "expiring_30": summary.get("expiring_30", "0"),
        "expired_batches": summary.get("expired", "0"),
    }


PROJECTION = PharmacyStock(
    name="pharmacy_stock",
    title="Pharmacy stock",
    views=(DRUGS, BATCHES),
    sources=("pharmacy.StockBatch", "pharmacy.Drug"),
    min_interval=5,
    calendar=VIEWS,  # what has expired
    dashboard=DashboardFields(_dashboard),
)
