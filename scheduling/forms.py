"""The front desk's and the clinic's forms. Field names are the commands' keyword arguments."""

from django import forms

from core.widgets import DateInput
from scheduling.models import QueueEntry, ScheduleException

PRIORITY_AUTO = [("", "By age"), *QueueEntry.Priority.choices]  # by age: elderly from SCHEDULING_ELDERLY_AGE


def _patient_by_mrn(mrn: str):
    from clinical.queries import patients

    patient = patients().filter(mrn__iexact=mrn.strip()).first()
    if patient is None:
        raise forms.ValidationError(f"No patient has MRN {mrn.strip()}.")
    return patient.pk


def _named(field):
    field.label_from_instance = lambda user: user.get_full_name() or user.get_username()
    return field


class SlotSearchForm(forms.Form):
    """Which free slots to show: a department's (and a provider's) for a week from a day."""

    department = forms.ModelChoiceField(queryset=None, empty_label="Choose a department")
    start = forms.DateField(label="Week from", widget=DateInput, required=False, help_text="Blank: today.")
    provider = _named(forms.ModelChoiceField(queryset=None, required=False, empty_label="Any provider"))

    def __init__(self, *args, **kwargs):
        from clinical.queries import departments
        from scheduling.queries import providers

        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments()
        self.fields["provider"].queryset = providers()


class BookForm(forms.Form):
    patient_id = forms.CharField(label="Patient MRN", max_length=20)
    slot_id = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "Choose a slot."})
    reason = forms.CharField(max_length=200, required=False, label="Reason for the visit")
    notes = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_patient_id(self):
        return _patient_by_mrn(self.cleaned_data["patient_id"])


class RescheduleForm(forms.Form):
    slot_id = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": "Choose the new slot."})
    reason = forms.CharField(max_length=200, required=False, label="Why it moves")


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why it is cancelled")


class CheckInForm(forms.Form):
    priority = forms.ChoiceField(choices=PRIORITY_AUTO, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(max_length=300, label="Note")


class WalkInForm(forms.Form):
    patient_id = forms.CharField(label="Patient MRN", max_length=20)
    department_id = forms.ModelChoiceField(queryset=None, label="Department")
    provider_id = _named(
        forms.ModelChoiceField(queryset=None, required=False, label="Clinician", empty_label="First free")
    )
    priority = forms.ChoiceField(choices=PRIORITY_AUTO, required=False)
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from clinical.queries import departments
        from scheduling.queries import providers

        super().__init__(*args, **kwargs)
        self.fields["department_id"].queryset = departments()
        self.fields["provider_id"].queryset = providers()

    def clean_patient_id(self):
        return _patient_by_mrn(self.cleaned_data["patient_id"])

    def clean_department_id(self):
        return self.cleaned_data["department_id"].pk

    def clean_provider_id(self):
        provider = self.cleaned_data.get("provider_id")
        return provider.pk if provider else None


class CallNextForm(forms.Form):
    room = forms.CharField(max_length=20, required=False, help_text="Where the patient should go.")


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=QueueEntry.Priority.choices)


class LeaveForm(forms.Form):
    note = forms.CharField(max_length=200, required=False)


class ExceptionForm(forms.Form):
    """A holiday, closure or leave in whole days (the admin's add form)."""

    kind = forms.ChoiceField(choices=ScheduleException.Kind.choices)
    reason = forms.CharField(max_length=200)
    start_date = forms.DateField(widget=DateInput)
    end_date = forms.DateField(widget=DateInput, required=False, help_text="Blank: one day.")
