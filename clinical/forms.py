from django import forms

from clinical import lab_tests
from clinical.models import Allergy, Encounter, Patient
from core.widgets import DateInput, DateTimeInput


class RegisterForm(forms.Form):
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(widget=DateInput)
    sex = forms.ChoiceField(choices=Patient.Sex.choices)
    phone = forms.CharField(max_length=30, required=False)
    address = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    mrn = forms.CharField(max_length=20, required=False, label="MRN", help_text="Leave empty to generate one.")


class ClinicianChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class EncounterForm(forms.Form):
    type = forms.ChoiceField(choices=Encounter.Type.choices)
    department_id = forms.ModelChoiceField(queryset=None, label="Department", to_field_name="pk")
    attending_id = ClinicianChoice(queryset=None, label="Attending clinician", to_field_name="pk")
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        """user: who is filling the form; the attending choice starts at them when they are a clinician."""
        from clinical.queries import clinicians, departments

        super().__init__(*args, **kwargs)
        self.fields["department_id"].queryset = departments()
        self.fields["attending_id"].queryset = clinicians()
        if user is not None and self.fields["attending_id"].queryset.filter(pk=user.pk).exists():
            self.fields["attending_id"].initial = user.pk

    def clean_department_id(self):
        return self.cleaned_data["department_id"].pk

    def clean_attending_id(self):
        return self.cleaned_data["attending_id"].pk


class VitalsForm(forms.Form):
    pulse = forms.IntegerField(required=False, label="Pulse (/min)")
    systolic = forms.IntegerField(required=False, label="Systolic (mmHg)")
    diastolic = forms.IntegerField(required=False, label="Diastolic (mmHg)")
    temperature = forms.DecimalField(required=False, max_digits=4, decimal_places=1, label="Temperature (°C)")
    spo2 = forms.IntegerField(required=False, label="SpO₂ (%)")
    respiratory_rate = forms.IntegerField(required=False, label="Resp. rate (/min)")
    weight = forms.DecimalField(required=False, max_digits=5, decimal_places=1, label="Weight (kg)")


class LabResultForm(forms.Form):
    test = forms.ChoiceField(choices=[("", "Choose a test"), *lab_tests.CHOICES])
    value = forms.DecimalField(max_digits=10, decimal_places=3, label="Result")
    unit = forms.CharField(max_length=20, required=False, help_text="Leave empty for the test's unit.")
    resulted_at = forms.DateTimeField(
        required=False, widget=DateTimeInput, label="Resulted at", help_text="Leave empty for now."
    )


class DiagnosisForm(forms.Form):
    code = forms.CharField(
        max_length=10,
        label="ICD-10-CM code",
        help_text="Type a code or words; suggestions appear as you type.",
        widget=forms.TextInput(attrs={"list": "icd10-options", "autocomplete": "off", "data-icd10-search": "1"}),
    )
    is_primary = forms.BooleanField(required=False, label="Primary diagnosis")


class AllergyForm(forms.Form):
    substance = forms.CharField(max_length=100)
    reaction = forms.CharField(max_length=200, required=False)
    severity = forms.ChoiceField(choices=Allergy.Severity.choices)
