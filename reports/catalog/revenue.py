"""Revenue analysis: invoiced, collected, credited and net over time and by department, service or payer."""

from urllib.parse import urlencode

from django import forms
from django.urls import reverse

from reports import queries
from reports.catalog.base import FINANCIAL, MONEY, PALETTE, Column, Report
from reports.filters import DateRange
from reports.queries.revenue import DIMENSIONS, GRAINS, METRICS
from reports.serializers import RevenueAnswer


class Filter(DateRange):
    grain = forms.ChoiceField(
        choices=[(g, g.title()) for g in GRAINS],
        required=False,
        initial="month",
        help_text="One period per day, week or month. Default: month.",
    )
    dimension = forms.ChoiceField(
        choices=[(d, d.title()) for d in DIMENSIONS],
        required=False,
        initial="department",
        help_text="Broken down by department, service or payer. Default: department.",
    )
    default_days = 90

    def query_args(self) -> dict:
        d = self.cleaned_data
        return {
            "start": d["start"],
            "end": d["end"],
            "grain": d.get("grain") or "month",
            "dimension": d.get("dimension") or "department",
        }


def columns(answer: dict) -> list[Column]:
    return [Column("name", answer["dimension"].title()), *(Column(m, m.title(), MONEY) for m in METRICS)]


def payer_invoices(answer: dict, row: dict) -> tuple[str, str] | None:
    """By payer, a row opens that payer's invoices posted in the range (the billing list's filters)."""
    if answer["dimension"] != "payer":
        return None
    query = urlencode({"payer": row["key"], "posted_from": answer["start"], "posted_to": answer["end"]})
    return f"{reverse('billing:invoices')}?{query}", "billing.view_invoice"


def charts(answer: dict) -> list[dict]:
    series, leading = answer["series"], answer["rows"][:15]
    return [
        {
            "id": "over-time",
            "title": f"Per {answer['grain']}",
            "type": "line",
            "labels": [s["period"].isoformat() for s in series],
            "datasets": [
                {"label": m.title(), "data": [float(s[m]) for s in series], "color": PALETTE[i]}
                for i, m in enumerate(("invoiced", "collected", "credited"))
            ],
        },
        {
            "id": "by-dimension",
            "title": f"By {answer['dimension']}",
            "type": "bar",
            "labels": [r["name"] for r in leading],
            "datasets": [{"label": "Invoiced", "data": [float(r["invoiced"]) for r in leading], "color": PALETTE[0]}],
        },
    ]


REPORT = Report(
    slug="revenue",
    title="Revenue analysis",
    permission=FINANCIAL,
    menu_position=20,
    form=Filter,
    query=queries.revenue,
    columns=columns,
    charts=charts,
    totals_row=("name",),
    summary_template="reports/parts/revenue_compared.html",  # the change from the previous period
    answer_schema=RevenueAnswer,
    record_link=payer_invoices,
)
