"""Inpatient census and occupancy: midnight census, patient days, occupancy, admissions, discharges,
transfers and average length of stay, by ward or by day (definitions: reports/projections/ward_census.py)."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms

from reports.catalog.base import CLINICAL, PALETTE, Column, Report
from reports.filters import DateRange
from reports.projections.base import rows
from reports.projections.ward_census import DAILY
from reports.queries.common import from_view
from reports.serializers import InpatientCensusAnswer

GROUPINGS = ("ward", "day")
MEASURES = ("census", "beds", "admissions", "discharges", "discharged_stay_days", "transfers_in", "transfers_out")


class Filter(DateRange):
    ward = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, help_text="Only this ward.")
    group_by = forms.ChoiceField(
        choices=[("ward", "Ward"), ("day", "Day")],
        required=False,
        initial="ward",
        help_text="One row per ward or per day. Default: ward.",
    )

    def __init__(self, *args, **kwargs):
        from inpatient.queries import wards

        super().__init__(*args, **kwargs)
        self.fields["ward"].choices = [("", "All wards"), *((w.pk, w.name) for w in wards())]

    def query_args(self) -> dict:
        d = self.cleaned_data
        return {"start": d["start"], "end": d["end"], "ward_id": d.get("ward"), "group_by": d.get("group_by") or "ward"}


def _one_decimal(numerator, denominator, scale=1) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _figures(row: dict) -> dict:
    """A group's sums -> the report's figures: patient days, bed days, occupancy %, ALOS."""
    return {
        "patient_days": int(row["census"]),
        "bed_days": int(row["beds"]),
        "occupancy": _one_decimal(row["census"], row["beds"], 100),
        "admissions": int(row["admissions"]),
        "discharges": int(row["discharges"]),
        "transfers_in": int(row["transfers_in"]),
        "transfers_out": int(row["transfers_out"]),
        "average_stay": _one_decimal(row["discharged_stay_days"], row["discharges"]),
    }


def inpatient_census(*, start, end, ward_id: int | None = None, group_by: str = "ward") -> dict:
    sums = ", ".join(f"sum({m})::bigint AS {m}" for m in MEASURES)
    where = "day BETWEEN %(start)s AND %(end)s" + (" AND ward_id = %(ward)s" if ward_id else "")
    params = {"start": start, "end": end, "ward": ward_id}

    def query(cursor):
        by_day = rows(cursor, f"SELECT day, {sums} FROM {DAILY.name} WHERE {where} GROUP BY day ORDER BY day", params)
        series = [{"day": r["day"], "census": int(r["census"]), **_figures(r)} for r in by_day]
        if group_by == "day":
            table = [{"day": s["day"], "ward_name": "", **{k: v for k, v in s.items() if k != "day"}} for s in series]
        else:
            by_ward = rows(
                cursor,
                f"SELECT ward_id, max(ward_name) AS ward_name, {sums} FROM {DAILY.name} WHERE {where} "
                "GROUP BY ward_id ORDER BY max(ward_name), ward_id",
                params,
            )
            table = [{"ward_id": r["ward_id"], "ward_name": r["ward_name"], **_figures(r)} for r in by_ward]
        (total,) = rows(cursor, f"SELECT {sums} FROM {DAILY.name} WHERE {where}", params)
        totals = _figures({m: total[m] or 0 for m in MEASURES})
        return {"rows": table, "totals": totals, "series": series}

    answer = from_view("ward_census", query)
    return {"start": start, "end": end, "ward_id": ward_id, "group_by": group_by, **answer}


FIGURES = [
    Column("patient_days", "Patient days (midnight census)", "int"),
    Column("bed_days", "Bed days", "int"),
    Column("occupancy", "Occupancy %", "rate"),
    Column("admissions", "Admissions", "int"),
    Column("discharges", "Discharges", "int"),
    Column("transfers_in", "Transfers in", "int"),
    Column("transfers_out", "Transfers out", "int"),
    Column("average_stay", "Average stay (days)", "rate"),
]


def columns(answer: dict) -> list[Column]:
    first = Column("day", "Day") if answer["group_by"] == "day" else Column("ward_name", "Ward")
    return [first, *FIGURES]


def charts(answer: dict) -> list[dict]:
    series = answer["series"]
    labels = [s["day"].isoformat() for s in series]
    charts = [
        {
            "id": "census",
            "title": "Midnight census per day",
            "type": "line",
            "labels": labels,
            "datasets": [
                {"label": "Patients at midnight", "data": [s["census"] for s in series], "color": PALETTE[0]},
                {"label": "Beds", "data": [s["bed_days"] for s in series], "color": PALETTE[6]},
            ],
        },
        {
            "id": "movement",
            "title": "Admissions and discharges per day",
            "type": "line",  # a trend
            "labels": labels,
            "datasets": [
                {"label": "Admissions", "data": [s["admissions"] for s in series], "color": PALETTE[1]},
                {"label": "Discharges", "data": [s["discharges"] for s in series], "color": PALETTE[3]},
            ],
        },
    ]
    if answer["group_by"] == "ward":
        charts.append(
            {
                "id": "occupancy",
                "title": "Occupancy by ward (%)",
                "type": "bar",
                "labels": [r["ward_name"] for r in answer["rows"]],
                "datasets": [
                    {
                        "label": "Occupancy %",
                        "data": [float(r["occupancy"] or 0) for r in answer["rows"]],
                        "color": PALETTE[2],
                    }
                ],
            }
        )
    return charts


def link(answer: dict, row: dict) -> dict | None:
    """A ward's row opens its days."""
    return {"ward": row["ward_id"], "group_by": "day"} if row.get("ward_id") else None


REPORT = Report(
    slug="inpatient-census",
    title="Inpatient census",
    permission=CLINICAL,
    menu_position=55,
    form=Filter,
    query=inpatient_census,
    columns=columns,
    charts=charts,
    totals_row=("ward_name", "day"),
    link=link,
    answer_schema=InpatientCensusAnswer,
)
