from rest_framework import serializers

from clinical.serializers import (
    AllergyOutput,
    AllergyStatusOutput,
    ConditionOutput,
    EncounterOutput,
    PatientOutput,
)
from scheduling.serializers import AppointmentOutput


class SummaryOutput(serializers.Serializer):
    """The patient summary read model (GET /api/v1/patients/{id}/summary/)."""

    patient = PatientOutput()
    problems = ConditionOutput(many=True, help_text="The problem list: active conditions, one per problem.")
    allergy_status = AllergyStatusOutput()
    allergies = AllergyOutput(many=True)
    current_medications = serializers.ListField(child=serializers.DictField())
    recent_encounters = EncounterOutput(many=True)
    open_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    upcoming_appointments = AppointmentOutput(many=True)
