"""Pharmacy stock: every drug's position, and the batches expiring soon or already expired on the shelf."""

from django import forms

from reports import queries
from reports.catalog.base import CLINICAL, MONEY, PALETTE, Column, Report
from reports.serializers import PharmacyStockAnswer

COLUMNS = [
    Column("code", "Code"),
    Column("generic_name", "Drug"),
    Column("strength", "Strength"),
    Column("on_hand", "On hand", "int"),
    Column("reorder_level", "Reorder at", "int"),
    Column("earliest_expiry", "Earliest expiry"),
    Column("expired_on_hand", "Expired on shelf", "int"),
    Column("stock_value", "Value", MONEY),
]
# A batch's window (reports/queries/stock.py): disjoint, by days left.
# "later": past 90 days, there only when the filter asks for more than 90.
WINDOWS = {
    "expired": "Expired (on shelf)",
    "within_30": "0-30 days",
    "within_60": "31-60 days",
    "within_90": "61-90 days",
    "later": "91+ days",
}


class Filter(forms.Form):
    within_days = forms.IntegerField(
        initial=90,
        required=False,
        min_value=1,
        max_value=365,
        help_text="Batches expiring within this many days. Default: 90.",
    )

    def query_args(self) -> dict:
        return {"within_days": self.cleaned_data.get("within_days") or 90}


def columns(answer: dict) -> list[Column]:
    return COLUMNS


def charts(answer: dict) -> list[dict]:
    shown = [w for w in WINDOWS if w != "later" or answer["within_days"] > 90]
    counts = [sum(1 for b in answer["batches"] if b["window"] == w) for w in shown]
    return [
        {
            "id": "expiry",
            "title": "Batches with stock, by time to expiry",
            "type": "bar",
            "labels": [WINDOWS[w] for w in shown],
            "datasets": [{"label": "Batches", "data": counts, "color": PALETTE[3]}],
        }
    ]


def row_class(drug: dict) -> str:
    """Expired stock on the shelf first, then stock at or below its reorder level."""
    return "expired" if drug["expired_on_hand"] else "low" if drug["below_reorder"] else ""


REPORT = Report(
    slug="pharmacy-stock",
    title="Pharmacy stock",
    permission=CLINICAL,
    menu_position=40,
    form=Filter,
    query=queries.pharmacy_stock,
    columns=columns,
    charts=charts,
    row_class=row_class,
    details_template="reports/parts/pharmacy_stock_batches.html",  # the batches expiring soon
    answer_schema=PharmacyStockAnswer,
)
