"""Report filters: one form per report, shared by the pages and the API, so both validate alike."""

import datetime
import itertools

from django import forms
from django.utils import timezone

from reports.projections.ar_aging import DEFAULT_RANGES
from reports.queries.diagnoses import PERIODS
from reports.queries.population import GROUPINGS
from reports.queries.revenue import DIMENSIONS, GRAINS

MAX_RANGE_DAYS = 366 * 5

# (form class, query parameters, day) -> the form's query_args() for them, when valid
_valid: dict[tuple, dict] = {}


def valid_args(form_class, params) -> dict | None:
    """The report's arguments for these query parameters (form_class(params).query_args()), or None when
    they are not valid (build the form for its errors). Defaults depend on the day, nothing else does: a
    valid answer is kept per (form, parameters, day), so a report asked again is not validated again."""
    key = (form_class, tuple(sorted((name, tuple(values)) for name, values in params.lists())), timezone.localdate())
    found = _valid.get(key)
    if found is None:
        form = form_class(params)
        if not form.is_valid():
            return None
        found = form.query_args()
        if len(_valid) >= 1000:
            _valid.clear()
        _valid[key] = found
    return dict(found)


class DateRange(forms.Form):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    default_days = 30

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - datetime.timedelta(days=self.default_days - 1)
        if data["start"] > data["end"]:
            self.add_error("start", "The start date is after the end date.")
        elif (data["end"] - data["start"]).days > MAX_RANGE_DAYS:
            self.add_error("start", "Choose at most five years.")
        return data


class ArAgingFilter(forms.Form):
    as_of = forms.DateField(required=False, help_text="Default: today.")
    basis = forms.ChoiceField(choices=[("due_date", "Due date"), ("posting_date", "Posting date")], required=False)
    ranges = forms.CharField(required=False, help_text="Bucket upper bounds in days, e.g. 30,60,90,120.")
    group_by = forms.ChoiceField(
        choices=[("payer", "Payer"), ("patient", "Patient"), ("invoice", "Invoice")], required=False
    )
    payer = forms.IntegerField(required=False, min_value=1)
    patient = forms.IntegerField(required=False, min_value=1)

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


class RevenueFilter(DateRange):
    grain = forms.ChoiceField(choices=[(g, g.title()) for g in GRAINS], required=False)
    dimension = forms.ChoiceField(choices=[(d, d.title()) for d in DIMENSIONS], required=False)
    default_days = 90

    def query_args(self) -> dict:
        d = self.cleaned_data
        return {
            "start": d["start"],
            "end": d["end"],
            "grain": d.get("grain") or "month",
            "dimension": d.get("dimension") or "department",
        }


class DiagnosisFilter(DateRange):
    period = forms.ChoiceField(choices=[(p, p.title()) for p in PERIODS], required=False)
    department = forms.IntegerField(required=False, min_value=1)
    top = forms.IntegerField(required=False, min_value=1, max_value=50)
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


class PopulationHealthFilter(DateRange):
    department = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    group_by = forms.ChoiceField(
        choices=[(g, label) for g, label in zip(GROUPINGS, ("Month", "Month and department"), strict=True)],
        required=False,
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


class StockFilter(forms.Form):
    within_days = forms.IntegerField(required=False, min_value=1, max_value=365)

    def query_args(self) -> dict:
        return {"within_days": self.cleaned_data.get("within_days") or 90}


class PerformanceFilter(forms.Form):
    report = forms.ChoiceField(choices=[(r, r) for r in ("ar-aging", "revenue", "diagnosis-trends")], required=False)

    def query_args(self) -> dict:
        return {"report": self.cleaned_data.get("report") or "ar-aging"}
