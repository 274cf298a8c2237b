"""Form widgets every app's pages share: the browser's own date and time pickers."""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"
