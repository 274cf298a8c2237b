from django import forms

from inpatient.models import Admission, AdmissionRequest, Bed


def _beds_label(bed: Bed) -> str:
    held = f" (held for {bed.reserved_for.patient})" if bed.reserved_for_id else ""
    return f"{bed.ward.name} — bed {bed.label}{held}"


class _Choices(forms.Form):
    """Choices read when the form is made (the router sends them to a standby); values become ids."""

    def _ids(self, *names):
        for name in names:
            value = self.cleaned_data.get(name)
            self.cleaned_data[name] = value.pk if value is not None else None


class AdmitForm(_Choices):
    encounter_id = forms.ModelChoiceField(queryset=None, label="Patient (open inpatient encounter)")
    bed_id = forms.ModelChoiceField(queryset=None, required=False, label="Bed")
    ward_id = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Or: first free bed of the ward",
        help_text="None free: the patient waits in the queue.",
    )
    priority = forms.ChoiceField(choices=AdmissionRequest.Priority.choices, initial="routine")
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from inpatient import queries

        super().__init__(*args, **kwargs)
        self.fields["encounter_id"].queryset = queries.awaiting_admission()
        self.fields["encounter_id"].label_from_instance = lambda e: (
            f"{e.patient} — {e.department}, since {e.started_at:%Y-%m-%d}"
        )
        self.fields["bed_id"].queryset = (
            queries.beds()
            .filter(status__in=(Bed.Status.FREE, Bed.Status.RESERVED), ward__active=True)
            .order_by("ward__name", "label")
        )
        self.fields["bed_id"].label_from_instance = _beds_label
        self.fields["ward_id"].queryset = queries.wards().filter(active=True)

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("bed_id") is None and data.get("ward_id") is None:
            raise forms.ValidationError("Choose a bed, or a ward to take its first free bed.")
        self._ids("encounter_id", "bed_id", "ward_id")
        return data


class RequestForm(_Choices):
    encounter_id = forms.ModelChoiceField(queryset=None, label="Patient (open inpatient encounter)")
    ward_id = forms.ModelChoiceField(queryset=None, required=False, label="Ward", empty_label="Any ward")
    priority = forms.ChoiceField(choices=AdmissionRequest.Priority.choices, initial="routine")
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from inpatient import queries

        super().__init__(*args, **kwargs)
        self.fields["encounter_id"].queryset = queries.awaiting_admission()
        self.fields["encounter_id"].label_from_instance = lambda e: (
            f"{e.patient} — {e.department}, since {e.started_at:%Y-%m-%d}"
        )
        self.fields["ward_id"].queryset = queries.wards().filter(active=True)

    def clean(self):
        data = super().clean()
        self._ids("encounter_id", "ward_id")
        return data


class TransferForm(_Choices):
    bed_id = forms.ModelChoiceField(queryset=None, label="To bed")

    def __init__(self, *args, **kwargs):
        from inpatient import queries

        super().__init__(*args, **kwargs)
        self.fields["bed_id"].queryset = queries.free_beds().order_by("ward__name", "label")
        self.fields["bed_id"].label_from_instance = _beds_label

    def clean(self):
        data = super().clean()
        self._ids("bed_id")
        return data


class DischargeOrderForm(forms.Form):
    disposition = forms.ChoiceField(choices=Admission.Disposition.choices, initial="home")
    follow_up = forms.CharField(
        label="Follow-up",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For the discharge summary.",
    )


class DischargeForm(forms.Form):
    """Confirms that the patient leaves now."""


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Why the admission was made in error.")


class BedStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s, Bed.Status(s).label) for s in (Bed.Status.FREE, Bed.Status.CLEANING, Bed.Status.OUT_OF_SERVICE)]
    )
    note = forms.CharField(max_length=200, required=False)
