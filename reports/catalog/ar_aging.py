"""AR aging: outstanding receivables by age bucket, by payer, drilling down to patients and invoices."""

import itertools

from django import forms
from django.urls import reverse
from django.utils import timezone

from reports import queries
from reports.catalog.base import FINANCIAL, MONEY, Column, Report
from reports.filters import IsoDateField, NameLookupField
from reports.projections.ar_aging import DEFAULT_RANGES
from reports.queries.ar import ar_aging_rows
from reports.serializers import ArAgingAnswer

# Greens to black: the older the money, the darker its bar.
BUCKET_COLOURS = ["#2e8540", "#8bc34a", "#e6a700", "#fd7e14", "#d9534f", "#8b0000", "#4a0000", "#240000", "#000000"]


class Filter(forms.Form):
    as_of = IsoDateField(required=False, help_text="The day balances are aged at. Default: today.")
    basis = forms.ChoiceField(
        choices=[("due_date", "Due date"), ("posting_date", "Posting date")],
        required=False,
        help_text="Age counted from each invoice's due date or its posting date. Default: due_date.",
    )
    ranges = forms.CharField(
        required=False,
        help_text="The buckets' upper bounds in days, 1 to 8 increasing whole numbers separated by commas. "
        "Default: 30,60,90,120 (buckets Not due, 0-30, 31-60, 61-90, 91-120, 121+).",
    )
    ranges.pattern = r"^\d{1,5}(,\d{1,5}){0,7}$"  # the shape only; clean_ranges checks the order
    group_by = forms.ChoiceField(
        choices=[("payer", "Payer"), ("patient", "Patient"), ("invoice", "Invoice")],
        required=False,
        help_text="One row per payer, patient or invoice. Default: payer. By patient or invoice, or for one "
        "patient, the rows name patients: your role must let you see patients.",
    )
    payer = NameLookupField("payer", required=False, help_text="Only this payer's invoices (a payer id).")
    patient = NameLookupField("patient", required=False, help_text="Only this patient's invoices (a patient id).")

    def clean_ranges(self):
        text = (self.cleaned_data.get("ranges") or "").strip()
        if not text:
            return DEFAULT_RANGES
        try:
            ranges = tuple(int(part) for part in text.split(","))
        except ValueError:
            raise forms.ValidationError("Give whole numbers of days separated by commas, e.g. 30,60,90,120.") from None
        if not 1 <= len(ranges) <= 8 or ranges[0] < 1 or any(b <= a for a, b in itertools.pairwise(ranges)):
            raise forms.ValidationError("Give 1 to 8 increasing positive numbers of days.")
        return ranges

    def clean(self):
        data = super().clean()
        data["as_of"] = data.get("as_of") or timezone.localdate()
        data["basis"] = data.get("basis") or "due_date"
        data["group_by"] = data.get("group_by") or "payer"
        return data

    def query_args(self) -> dict:
        d = self.cleaned_data
        return {
            "as_of": d["as_of"],
            "basis": d["basis"],
            "ranges": d["ranges"],
            "group_by": d["group_by"],
            "payer_id": d.get("payer"),
            "patient_id": d.get("patient"),
        }


KEYS = {
    "payer": [Column("payer_name", "Payer")],
    "patient": [Column("patient_name", "Patient"), Column("mrn", "MRN")],
    "invoice": [
        Column("number", "Invoice"),
        Column("patient_name", "Patient"),
        Column("payer_name", "Payer"),
        Column("posting_date", "Posted"),
        Column("due_date", "Due"),
    ],
}


def _bucket_amount(position: int):
    return lambda row: row["buckets"][position]["amount"]


def columns(answer: dict) -> list[Column]:
    money = [Column(m, m.title(), MONEY) for m in ("invoiced", "paid", "credited", "outstanding")]
    buckets = [
        Column(f"bucket_{i}", b["label"], MONEY, value=_bucket_amount(i)) for i, b in enumerate(answer["buckets"])
    ]
    return [*KEYS[answer["group_by"]], Column("invoices", "Invoices", "int"), *money, *buckets]


def _label(row: dict) -> str:
    # the row's own key first: an invoice row also names its patient and payer
    return str(row.get("number") or row.get("patient_name") or row.get("payer_name") or "Total")


def charts(answer: dict) -> list[dict]:
    shown = answer["rows"][:15] or [{"payer_name": "All", **answer["totals"]}]
    return [
        {
            "id": "buckets",
            "title": "Outstanding by age",
            "type": "bar",
            "stacked": True,
            "labels": [_label(r) for r in shown],
            "datasets": [
                {
                    "label": b["label"],
                    "data": [float(r["buckets"][i]["amount"]) for r in shown],
                    "color": BUCKET_COLOURS[i],
                }
                for i, b in enumerate(answer["buckets"])
            ],
        }
    ]


def drill_down(answer: dict, row: dict) -> dict | None:
    """A payer's row opens its patients; a patient's row opens their invoices."""
    if answer["group_by"] == "payer":
        return {"group_by": "patient", "payer": row["payer_id"]}
    if answer["group_by"] == "patient":
        return {"group_by": "invoice", "patient": row["patient_id"]}
    return None


def invoice_page(answer: dict, row: dict) -> tuple[str, str] | None:
    """By invoice, a row opens its invoice (for those who may see invoices)."""
    if answer["group_by"] == "invoice" and row.get("invoice_id"):
        return reverse("billing:invoice", args=[row["invoice_id"]]), "billing.view_invoice"
    return None


def names_patients(filters: dict) -> bool:
    """By patient or invoice, or for one patient: the rows carry names and MRNs."""
    return filters.get("group_by") in ("patient", "invoice") or bool(
        filters.get("patient_id") or filters.get("patient")
    )


REPORT = Report(
    slug="ar-aging",
    title="AR aging",
    permission=FINANCIAL,
    menu_position=10,
    form=Filter,
    query=queries.ar_aging,
    columns=columns,
    charts=charts,
    totals_row=("payer_name", "patient_name", "number"),
    stream_rows=ar_aging_rows,  # by invoice, a year's export has hundreds of thousands of rows
    link=drill_down,
    record_link=invoice_page,
    names_patients=names_patients,
    answer_schema=ArAgingAnswer,
)
