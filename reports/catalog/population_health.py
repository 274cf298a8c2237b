"""Population health: diabetes and hypertension control and 30-day readmissions, month by month."""

from django import forms

from reports import queries
from reports.catalog.base import CLINICAL, PALETTE, Column, Report
from reports.filters import DateRange
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


class Filter(DateRange):
    department = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, help_text="Only this department.")
    group_by = forms.ChoiceField(
        choices=[(g, label) for g, label in zip(GROUPINGS, ("Month", "Month and department"), strict=True)],
        required=False,
        help_text="One row per month, or per month and department. Default: month.",
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
        }


def columns(answer: dict) -> list[Column]:
    place = [Column("department_name", "Department")] if answer["group_by"] == "department" else []
    return [Column("month", "Month"), *place, *MEASURES]


def _point(value) -> float | None:
    """None leaves a gap in the line: a month with nobody to count is not 0 %."""
    return None if value is None else float(value)


def charts(answer: dict) -> list[dict]:
    series = answer["series"]
    return [
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
