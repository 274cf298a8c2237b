"""Appointments and waits: bookings per day, department and provider, what became of them (attended,
no-shows, cancelled), walk-ins, the wait from check-in to consultation, and slot utilisation.

Definitions: reports/projections/appointments.py (no-show rate = no-shows / (attended + no-shows);
utilisation = live bookings in open slots / their capacity; average wait over the patients seen)."""

from django import forms

from reports import queries
from reports.catalog.base import CLINICAL, PALETTE, Column, Report
from reports.filters import DateRange
from reports.queries.scheduling import GROUPS
from reports.serializers import AppointmentsAnswer

COLUMNS = [
    Column("booked", "Booked", "int"),
    Column("attended", "Attended", "int"),
    Column("no_shows", "No-shows", "int"),
    Column("no_show_rate", "No-show %", "rate"),
    Column("cancelled", "Cancelled", "int"),
    Column("walk_ins", "Walk-ins", "int"),
    Column("seen", "Seen", "int"),
    Column("left_unseen", "Left unseen", "int"),
    Column("average_wait_minutes", "Average wait (min)", "rate"),
    Column("slots", "Slots", "int"),
    Column("capacity", "Capacity", "int"),
    Column("utilisation", "Utilisation %", "rate"),
]


class Filter(DateRange):
    group_by = forms.ChoiceField(
        choices=[(g, g.title()) for g in GROUPS],
        required=False,
        initial="department",
        help_text="One row per department, provider or day. Default: department.",
    )
    department = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All departments", help_text="Only this department."
    )
    provider = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All providers", help_text="Only this provider's clinics."
    )

    def __init__(self, *args, **kwargs):
        from clinical.queries import departments
        from scheduling.queries import providers

        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments()
        self.fields["provider"].queryset = providers()
        self.fields["provider"].label_from_instance = lambda user: user.get_full_name() or user.get_username()

    def query_args(self) -> dict:
        d = self.cleaned_data
        return {
            "start": d["start"],
            "end": d["end"],
            "group_by": d.get("group_by") or "department",
            "department_id": d["department"].pk if d.get("department") else None,
            "provider_id": d["provider"].pk if d.get("provider") else None,
        }


def columns(answer: dict) -> list[Column]:
    return [Column("name", answer["group_by"].title()), *COLUMNS]


def charts(answer: dict) -> list[dict]:
    days = [s["day"].isoformat() for s in answer["series"]]
    leading = answer["rows"][:15]
    return [
        {
            "id": "per-day",
            "title": "Appointments per day",
            "type": "line",
            "labels": days,
            "datasets": [
                {"label": label, "data": [s[key] for s in answer["series"]], "color": PALETTE[i]}
                for i, (key, label) in enumerate(
                    (("booked", "Booked"), ("attended", "Attended"), ("no_shows", "No-shows"))
                )
            ],
        },
        {
            "id": "wait",
            "title": "Average wait from check-in to consultation (minutes)",
            "type": "line",
            "labels": days,
            "datasets": [
                {"label": "Minutes", "data": [s["average_wait_minutes"] for s in answer["series"]], "color": PALETTE[3]}
            ],
        },
        {
            "id": "utilisation",
            "title": f"Slot utilisation and no-show rate by {answer['group_by']} (%)",
            "type": "bar",
            "labels": [r["name"] for r in leading],
            "datasets": [
                {"label": "Utilisation", "data": [r["utilisation"] for r in leading], "color": PALETTE[0]},
                {"label": "No-shows", "data": [r["no_show_rate"] for r in leading], "color": PALETTE[2]},
            ],
        },
    ]


def link(answer: dict, row: dict) -> dict | None:
    """A department's row opens its providers; a provider's, their days."""
    if answer["group_by"] == "department":
        return {"group_by": "provider", "department": row["key"]}
    if answer["group_by"] == "provider" and row["key"]:
        return {"group_by": "day", "provider": row["key"]}
    return None


REPORT = Report(
    slug="appointments",
    title="Appointments and waits",
    permission=CLINICAL,
    menu_position=70,
    form=Filter,
    query=queries.appointment_figures,
    columns=columns,
    charts=charts,
    link=link,
    totals_row=("name",),
    answer_schema=AppointmentsAnswer,
)
