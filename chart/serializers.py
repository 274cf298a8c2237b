"""What the chart's API answers: the patient summary and the patient list, both from the patient view."""

from rest_framework import serializers

from clinical.models import Patient
from clinical.serializers import AllergyStatusOutput


class PatientCardOutput(serializers.Serializer):
    """A patient as the lists and the summary show them (the patient view's demographics)."""

    id = serializers.IntegerField()
    mrn = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    age = serializers.IntegerField(help_text="In whole years, as of today in the hospital's time zone.")
    sex = serializers.ChoiceField(choices=Patient.Sex.choices)
    phone = serializers.CharField(allow_blank=True)
    address_line1 = serializers.CharField(allow_blank=True)
    address_line2 = serializers.CharField(allow_blank=True)
    city = serializers.CharField(allow_blank=True)
    postal_code = serializers.CharField(allow_blank=True)
    country = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True, help_text="The whole address, one line per part.")
    primary_care_provider = serializers.IntegerField(allow_null=True)
    primary_care_provider_name = serializers.CharField(allow_blank=True)
    preferred_language = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class ProblemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="ICD-10-CM.")
    description = serializers.CharField()
    status = serializers.CharField()
    onset = serializers.DateField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    last_diagnosed_at = serializers.DateTimeField(allow_null=True)


class AllergySummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    allergen_code = serializers.CharField(allow_blank=True)
    substance = serializers.CharField()
    coded = serializers.BooleanField()
    category = serializers.CharField()
    reaction = serializers.CharField(allow_blank=True)
    severity = serializers.CharField()
    verification = serializers.CharField()
    onset = serializers.DateField(allow_null=True)
    recorded_at = serializers.DateTimeField()


class MedicationOutput(serializers.Serializer):
    prescription = serializers.IntegerField()
    drug = serializers.CharField()
    dose = serializers.CharField()
    frequency = serializers.CharField()
    status = serializers.CharField()
    state = serializers.CharField(help_text="prescribed, not yet dispensed / partly dispensed (n of m) / dispensed")
    since = serializers.DateField()
    until = serializers.DateField(help_text="The course's last day.")


class VitalsSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    encounter = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
    pulse = serializers.IntegerField(allow_null=True)
    systolic = serializers.IntegerField(allow_null=True)
    diastolic = serializers.IntegerField(allow_null=True)
    temperature = serializers.FloatField(allow_null=True)
    spo2 = serializers.IntegerField(allow_null=True)
    respiratory_rate = serializers.IntegerField(allow_null=True)
    weight = serializers.FloatField(allow_null=True)


class EncounterSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField()
    type = serializers.CharField()
    status = serializers.CharField()
    department = serializers.IntegerField()
    department_name = serializers.CharField()
    attending = serializers.IntegerField()
    attending_name = serializers.CharField(allow_blank=True)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class AppointmentSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slot = serializers.IntegerField()
    department = serializers.IntegerField()
    department_name = serializers.CharField()
    provider = serializers.IntegerField()
    provider_name = serializers.CharField()
    day = serializers.DateField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)


class AlertCountsOutput(serializers.Serializer):
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    low = serializers.IntegerField()


class SummaryOutput(serializers.Serializer):
    """The patient summary (GET /api/v1/patients/{id}/summary/): the patient view's row for the patient."""

    patient = PatientCardOutput()
    problems = ProblemOutput(many=True, help_text="The problem list: active conditions, one per problem.")
    allergy_status = AllergyStatusOutput()
    allergies = AllergySummaryOutput(many=True)
    current_medications = MedicationOutput(
        many=True, help_text="Courses not cancelled or stopped that have not run out, prescribed or dispensed."
    )
    recent_vitals = VitalsSummaryOutput(many=True, help_text="The last readings, newest first.")
    recent_encounters = EncounterSummaryOutput(many=True)
    upcoming_appointments = AppointmentSummaryOutput(many=True)
    open_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    alerts = AlertCountsOutput(help_text="Active clinical alerts by severity (the patient-alerts projection).")
    last_updated = serializers.DateTimeField(help_text="The latest change to anything the summary shows.")
    sync_status = serializers.ChoiceField(
        choices=["in_sync", "syncing", "out_of_sync"],
        help_text="in_sync: the view's row reflects every committed change; syncing: changes to this patient "
        "wait for the refresh; out_of_sync: reconciliation found the row wrong and is repairing it. When not "
        "in sync the answer is computed from the record itself (`source: live`).",
    )
    source = serializers.CharField(help_text="patient_view (the view's row), or live (computed from the record).")
    database = serializers.CharField(help_text="The database alias that answered.")
    fresh_as_of = serializers.DateTimeField(allow_null=True)
    stale_seconds = serializers.FloatField(allow_null=True)


class PatientListOutput(PatientCardOutput):
    last_updated = serializers.DateTimeField()


class PatientSearchParams(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text='Names in any order or "Family, Given" (accents and case ignored, starts of words, '
        "misspellings when nothing else matches); an MRN or its start; a phone number (its digits); a birth "
        "date (1980-03-04, 04/03/1980, 4 Mar 1980...).",
    )
    postal_code = serializers.CharField(required=False, allow_blank=True, max_length=20, help_text="Or its start.")
    min_age = serializers.IntegerField(required=False, min_value=0, max_value=150)
    max_age = serializers.IntegerField(required=False, min_value=0, max_value=150)
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, required=False)
    condition = serializers.CharField(
        required=False, allow_blank=True, max_length=8, help_text="An active problem: an ICD-10-CM code or category."
    )

    def validate(self, attrs):
        if (
            attrs.get("min_age") is not None
            and attrs.get("max_age") is not None
            and attrs["min_age"] > attrs["max_age"]
        ):
            raise serializers.ValidationError({"max_age": ["Must not be below min_age."]})
        return attrs
