from rest_framework import serializers

from clinical.serializers import AllergyOutput, DiagnosisOutput, EncounterOutput, PatientOutput


class SummaryOutput(serializers.Serializer):
    """The patient summary read model (GET /api/v1/patients/{id}/summary/)."""

    patient = PatientOutput()
    active_diagnoses = DiagnosisOutput(many=True)
    allergies = AllergyOutput(many=True)
    current_medications = serializers.ListField(child=serializers.DictField())
    recent_encounters = EncounterOutput(many=True)
    open_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
