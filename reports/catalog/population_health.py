"""Population health: diabetes and hypertension control and 30-day readmissions, month by month."""

from django import forms

from clinical.models import Patient
from reports import queries
from reports.catalog.base import CLINICAL, PALETTE, Column, Report
from reports.filters import DateRange
from reports.projections.population_health import AGE_GROUPS, AREA_CHARACTERS
from reports.queries.population import GROUPINGS
from reports.serializers import PopulationHealthAnswer

MEASURES = [
    Column("patients", "Under care", "int"),
    Column("diabetes_patients", "Diabetes", "int"),
    Column("diabetes_controlled", "HbA1c < 7 %", "int"),
    Column("diabetes_control_rate", "Diabetes controlled %", "rate"),
    Column("diabetes_untested", "No HbA1c in 12 mo", "int"),
    Column("hypertension_patients", "Hypertension", "int"),
    Column("hypertension_controlled", "BP < 140/90", "int"),
    Column("hypertension_control_rate", "Hypertension controlled %", "rate"),
    Column("hypertension_unmeasured", "No BP in 12 mo", "int"),
    Column("discharges", "Inpatient discharges", "int"),
    Column("readmissions_30d", "Readmitted in 30 d", "int"),
    Column("readmission_rate", "Readmission %", "rate"),
]
CHARTED_RATES = (
    ("diabetes_control_rate", "Diabetes controlled (HbA1c < 7 %)"),
    ("hypertension_control_rate", "Hypertension controlled (< 140/90)"),
    ("readmission_rate", "Readmitted within 30 days"),
)


GROUPING_LABELS = ("Month", "Month and department", "Month and age group", "Month and sex", "Month and area")


class Filter(DateRange):
    department = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, help_text="Only this department.")
    age_group = forms.ChoiceField(
        choices=[("", "All ages"), *((label, label) for label, _, _ in AGE_GROUPS)],
        required=False,
        help_text="Age at the start of each month.",
    )
    sex = forms.ChoiceField(choices=[("", "Any"), *Patient.Sex.choices], required=False)
    area = forms.CharField(
        max_length=AREA_CHARACTERS,
        required=False,
        help_text=f"The postal code's first {AREA_CHARACTERS} characters, e.g. 627.",
    )
    group_by = forms.ChoiceField(
        choices=list(zip(GROUPINGS, GROUPING_LABELS, strict=True)),
        required=False,
        initial="month",
        help_text="One row per month, or per month and department, age group, sex or area. Default: month.",
    )
    default_days = 365

    def __init__(self, *args, **kwargs):
        from clinical.queries import departments

        super().__init__(*args, **kwargs)
        choices = [("", "All departments"), *((d.pk, d.name) for d in departments())]
        self.fields["department"].choices = choices

    def query_args(self) -> dict:
        d = self.cleaned_data
        return {
            "start": d["start"],
            "end": d["end"],
            "department_id": d.get("department"),
            "group_by": d.get("group_by") or "month",
            "age_group": d.get("age_group") or "",
            "sex": d.get("sex") or "",
            "area": (d.get("area") or "").strip(),
        }


DIMENSION_COLUMNS = {
    "department": Column("department_name", "Department"),
    "age_group": Column("age_group", "Age group"),
    "sex": Column("sex", "Sex"),
    "area": Column("area", "Area"),
}


def columns(answer: dict) -> list[Column]:
    place = [DIMENSION_COLUMNS[answer["group_by"]]] if answer["group_by"] in DIMENSION_COLUMNS else []
    return [Column("month", "Month"), *place, *MEASURES]


def _point(value) -> float | None:
    """None leaves a gap in the line: a month with nobody to count is not 0 %."""
    return None if value is None else float(value)


def _by_dimension(answer: dict) -> list[dict]:
    """With group_by a patient dimension: each group's diabetes and hypertension control over the period (a
    bar per group), the people where people would rather look than read."""
    dimension = answer["group_by"]
    if dimension not in ("age_group", "sex", "area"):
        return []
    totals: dict[str, dict] = {}
    for row in answer["rows"]:
        group = totals.setdefault(str(row[dimension]), {"dp": 0, "dc": 0, "hp": 0, "hc": 0})
        group["dp"] += row["diabetes_patients"]
        group["dc"] += row["diabetes_controlled"]
        group["hp"] += row["hypertension_patients"]
        group["hc"] += row["hypertension_controlled"]
    labels = sorted(totals)

    def share(part, whole):
        return round(part * 100 / whole, 1) if whole else None

    return [
        {
            "id": "by-group",
            "title": f"Controlled over the period by {DIMENSION_COLUMNS[dimension].label.lower()}, % of patient-months",
            "type": "bar",
            "labels": labels,
            "datasets": [
                {"label": "Diabetes controlled", "data": [share(totals[g]["dc"], totals[g]["dp"]) for g in labels],
                 "color": PALETTE[0]},
                {"label": "Hypertension controlled", "data": [share(totals[g]["hc"], totals[g]["hp"]) for g in labels],
                 "color": PALETTE[1]},
            ],
        }
    ]  # fmt: skip


def charts(answer: dict) -> list[dict]:
    series = answer["series"]
    per_month = [
        {
            "id": "control",
            "title": "Per month, % of patients (" + (series[0]["department_name"] if series else "no data") + ")",
            "type": "line",
            "labels": [s["month"].isoformat()[:7] for s in series],
            "datasets": [
                {"label": label, "data": [_point(s[key]) for s in series], "color": PALETTE[i]}
                for i, (key, label) in enumerate(CHARTED_RATES)
            ],
        }
    ]
    return [*_by_dimension(answer), *per_month]


REPORT = Report(
    slug="population-health",
    title="Population health",
    permission=CLINICAL,
    menu_position=50,
    form=Filter,
    query=queries.population_health,
    columns=columns,
    charts=charts,
    answer_schema=PopulationHealthAnswer,
)
