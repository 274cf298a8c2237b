"""Diagnosis trends: the leading ICD-10-CM codes over a date range, per month or quarter, by department."""

import datetime

from django import forms
from django.utils import timezone

from reports import queries
from reports.catalog.base import CLINICAL, PALETTE, Column, Report
from reports.filters import DateRange, NameLookupField
from reports.queries.diagnoses import PERIODS
from reports.serializers import DiagnosisTrendsAnswer

COLUMNS = [
    Column("code", "Code"),
    Column("description", "Description"),
    Column("block", "Block"),
    Column("chapter_title", "Chapter"),
    Column("diagnoses", "Diagnoses", "int"),
]


class Filter(DateRange):
    period = forms.ChoiceField(
        choices=[(p, p.title()) for p in PERIODS],
        required=False,
        initial="month",
        help_text="Counts per month or quarter. Default: month.",
    )
    department = NameLookupField("department", required=False, help_text="Only this department (a department id).")
    top = forms.IntegerField(
        required=False, min_value=1, max_value=50, initial=10, help_text="How many leading codes. Default: 10."
    )
    default_days = 365

    def query_args(self) -> dict:
        d = self.cleaned_data
        return {
            "start": d["start"],
            "end": d["end"],
            "period": d.get("period") or "month",
            "department_id": d.get("department"),
            "top": d.get("top") or 10,
        }


def whole_months(args: dict) -> tuple:
    """Counted per calendar month: the first of start's month to the last day of end's month (today, when
    that month is this one: nothing is diagnosed in the future)."""
    end = args["end"]
    month_end = (end.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    return args["start"].replace(day=1), min(month_end, max(end, timezone.localdate()))


def columns(answer: dict) -> list[Column]:
    return COLUMNS


def _short(row: dict) -> str:
    """A legend entry a reader can place: 'I10 Essential (primary) hypertension', cut at 40 characters."""
    text = f"{row['code']} {row['description']}"
    return text if len(text) <= 40 else text[:39] + "…"


def charts(answer: dict) -> list[dict]:
    periods = sorted({s["period"] for s in answer["series"]})
    counts = {(s["period"], s["code"]): s["diagnoses"] for s in answer["series"]}
    return [
        {
            "id": "top-codes",
            "title": f"Top codes per {answer['period']}",
            "type": "line",
            "labels": [p.isoformat() for p in periods],
            "datasets": [
                {
                    "label": _short(r),
                    "data": [counts.get((p, r["code"]), 0) for p in periods],
                    "color": PALETTE[i % len(PALETTE)],
                }
                for i, r in enumerate(answer["rows"])
            ],
        }
    ]


REPORT = Report(
    slug="diagnosis-trends",
    title="Diagnosis trends",
    permission=CLINICAL,
    menu_position=30,
    form=Filter,
    query=queries.diagnosis_trends,
    columns=columns,
    charts=charts,
    answer_schema=DiagnosisTrendsAnswer,
    period=whole_months,
)
