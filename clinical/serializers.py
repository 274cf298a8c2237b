from rest_framework import serializers

from clinical.models import Patient


class PatientInput(serializers.Serializer):
    mrn = serializers.CharField(max_length=20, required=False, allow_blank=False)
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, default=Patient.Sex.UNKNOWN)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="")


class PatientOutput(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "phone",
            "address",
            "created_at",
            "updated_at",
        ]
