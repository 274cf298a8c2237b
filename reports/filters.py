"""What report filters share: days typed as ISO dates, things chosen by name, a date range with defaults,
and the API's cache of valid filter arguments.

Each report's own filter form lives in its module (reports/catalog/); pages and API use the same form, so
a filter declared there is the page's box and the API's typed parameter at once.
"""

import datetime

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput, NameLookup
from reports.lookups import LOOKUPS
from reports.queries.performance import REPORTS as COMPARED

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


class IsoDateField(forms.DateField):
    """A day as YYYY-MM-DD only, in the browser's date picker: "01/09/2026" is refused, never read US-style
    (Django's default input formats would take it as January 9)."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": _("Enter the date as YYYY-MM-DD, e.g. 2026-09-01.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DateInput(format="%Y-%m-%d"))
        super().__init__(**kwargs)


class NameLookupField(forms.IntegerField):
    """A payer, patient or department (reports.lookups) chosen by name in a box that suggests as one types,
    submitted as its id: the API takes the id as before (an integer parameter). A name typed and not picked
    is resolved when it stands for exactly one; otherwise the form says why."""

    def __init__(self, kind: str, **kwargs):
        self.lookup = LOOKUPS[kind]
        kwargs.setdefault("min_value", 1)
        source = reverse_lazy("reports:lookup", args=[kind])
        kwargs.setdefault("widget", NameLookup(source=source, name_of=self.lookup.name_of))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not value.strip().isdigit():
            return self.lookup.resolve(value)
        return super().to_python(value)

    def shown(self, value) -> str:
        """What a chosen id reads as (the printed parameters)."""
        return (self.lookup.name_of(int(value)) if str(value).isdigit() else None) or str(value)


class DateRange(forms.Form):
    # {default_days}: filled from the form's class where the help is shown (core.api.schema.form_parameters).
    start = IsoDateField(
        required=False, help_text="First day. Default: {default_days} days up to end; at most five years before end."
    )
    end = IsoDateField(required=False, help_text="Last day (included). Default: today.")
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


class PerformanceFilter(forms.Form):
    report = forms.ChoiceField(
        choices=[(r, r) for r in COMPARED], required=False, help_text=f"The report to time. Default: {COMPARED[0]}."
    )

    def query_args(self) -> dict:
        return {"report": self.cleaned_data.get("report") or COMPARED[0]}
