from django import forms
from django.utils.translation import gettext_lazy as _

from clinical import allergens, lab_tests
from clinical.models import SOAP_TEMPLATE, Allergy, AllergyStatement, Encounter, Patient
from core.widgets import DateInput, DateTimeInput


class ClinicianChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class RegisterForm(forms.Form):
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(widget=DateInput)
    sex = forms.ChoiceField(choices=Patient.Sex.choices)
    phone = forms.CharField(max_length=30, required=False)
    address_line1 = forms.CharField(max_length=200, required=False, label="Address")
    address_line2 = forms.CharField(max_length=200, required=False, label="Address (line 2)")
    city = forms.CharField(max_length=100, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="Two letters, e.g. GB.")
    primary_care_provider_id = ClinicianChoice(
        queryset=None, required=False, label="Primary care provider", to_field_name="pk"
    )
    preferred_language = forms.CharField(max_length=10, required=False, help_text="e.g. en, fr, pt-br.")
    mrn = forms.CharField(max_length=20, required=False, label="MRN", help_text="Leave empty to generate one.")
    confirm_new = forms.BooleanField(
        required=False,
        label="This is a new patient",
        help_text="None of the patients listed above: register a new record all the same.",
        widget=forms.HiddenInput,  # shown once the page has warned of possible duplicates
    )

    def __init__(self, *args, **kwargs):
        from clinical.queries import clinicians

        super().__init__(*args, **kwargs)
        self.fields["primary_care_provider_id"].queryset = clinicians()

    def warned(self) -> None:
        """Possible duplicates were found: ask the clerk to confirm a new patient."""
        self.fields["confirm_new"].widget = forms.CheckboxInput()

    def clean_primary_care_provider_id(self):
        provider = self.cleaned_data["primary_care_provider_id"]
        return provider.pk if provider else None


class PatientDetailsForm(RegisterForm):
    """A registered patient's details, to correct: the registration form without the MRN (it never changes)."""

    def __init__(self, *args, patient: Patient, **kwargs):
        self.patient = patient
        initial = {name: getattr(patient, name) for name in self.base_fields if name not in ("mrn", "confirm_new")}
        super().__init__(*args, initial=initial, **kwargs)
        del self.fields["mrn"]
        del self.fields["confirm_new"]

    def changes(self) -> dict:
        """The fields whose cleaned value differs from the patient's (what the command is asked to change)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if (value or "") != (getattr(self.patient, name) or "")
        }


class PatientSearchForm(forms.Form):
    """The patient search page's box and filters (the API's parameters)."""

    q = forms.CharField(
        max_length=200, required=False, label="Name, MRN, phone or birth date",
        help_text="“Cohen, Daniel”, “daniel coh”, MRN0001…, 555 0102, 04/03/1980 (day first).",
    )  # fmt: skip
    postal_code = forms.CharField(max_length=20, required=False)
    min_age = forms.IntegerField(min_value=0, max_value=150, required=False, label="Age from")
    max_age = forms.IntegerField(min_value=0, max_value=150, required=False, label="Age to")
    sex = forms.ChoiceField(choices=[("", "Any"), *Patient.Sex.choices], required=False)
    condition = forms.CharField(max_length=8, required=False, label="Active problem", help_text="ICD-10, e.g. E11.")

    def __init__(self, *args, clinical: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not clinical:  # the problem list is clinical staff's to search
            del self.fields["condition"]

    def clean(self):
        data = super().clean()
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", "Must not be below “Age from”.")
        return data

    def criteria(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


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
    allergen = forms.ChoiceField(
        choices=[("", "Choose an allergen"), *allergens.choices()],
        required=False,
        help_text="Drug classes are checked against every drug of the class.",
    )
    substance = forms.CharField(
        max_length=100,
        required=False,
        label="Not on the list (free text)",
        help_text="Recorded as an uncoded allergy: no check can match it, so it warns at every prescription.",
    )
    category = forms.ChoiceField(
        choices=Allergy.Category.choices, initial=Allergy.Category.DRUG, help_text="For a free-text allergy."
    )
    reaction = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"list": "reaction-options"}),
        help_text="What happened, e.g. anaphylaxis, hives, rash.",
    )
    severity = forms.ChoiceField(choices=Allergy.Severity.choices)
    verification = forms.ChoiceField(choices=Allergy.Verification.choices, initial=Allergy.Verification.UNCONFIRMED)
    onset = forms.DateField(required=False, widget=DateInput, help_text="When it (first) happened, if known.")

    def clean(self):
        data = super().clean()
        if data.get("allergen") and data.get("substance"):
            self.add_error("substance", "Choose an allergen from the list or type one; not both.")
        elif not data.get("allergen") and not data.get("substance"):
            self.add_error("allergen", "Choose an allergen from the list, or type it as free text.")
        return data


class AllergyStatementForm(forms.Form):
    kind = forms.ChoiceField(choices=AllergyStatement.Kind.choices, label="Asked, and the patient has")


class AllergyVerificationForm(forms.Form):
    verification = forms.ChoiceField(choices=Allergy.Verification.choices)


class ConditionForm(forms.Form):
    code = forms.CharField(
        max_length=10,
        label="ICD-10-CM code",
        help_text="A billable code (J18.9, not J18).",
        widget=forms.TextInput(attrs={"list": "icd10-options", "autocomplete": "off", "data-icd10-search": "1"}),
    )
    onset = forms.DateField(required=False, widget=DateInput)


class ResolveConditionForm(forms.Form):
    resolved_on = forms.DateField(required=False, widget=DateInput, help_text="Empty: today.")


class NoteForm(forms.Form):
    """A clinical note: free text, started from the SOAP headings. Which button was pressed (save a draft, or
    sign) is read by the view."""

    text = forms.CharField(
        label=_("Note"),
        initial=SOAP_TEMPLATE,
        max_length=20_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "note-text"}),
        help_text=_("Subjective, Objective, Assessment, Plan. A signed note cannot be changed, only amended."),
    )
