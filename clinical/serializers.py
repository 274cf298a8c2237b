from rest_framework import serializers

from clinical import allergens, lab_tests
from clinical.models import (
    VITAL_RANGES,
    Allergy,
    AllergyStatement,
    ClinicalNote,
    Condition,
    Department,
    Diagnosis,
    Encounter,
    Icd10Code,
    LabResult,
    Patient,
    PatientMerge,
    Vitals,
)


class PatientInput(serializers.Serializer):
    mrn = serializers.CharField(max_length=20, required=False, allow_blank=False)
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, default=Patient.Sex.UNKNOWN)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, help_text="ISO 3166, e.g. GB.")
    primary_care_provider = serializers.IntegerField(
        required=False, allow_null=True, source="primary_care_provider_id", help_text="A clinician's user id."
    )
    preferred_language = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="A language code, e.g. en, fr, pt-br."
    )
    confirm_new = serializers.BooleanField(
        default=False,
        help_text="Register even though patients like this one exist (otherwise 409 with `candidates`).",
    )


class PatientUpdate(serializers.Serializer):
    given_name = serializers.CharField(max_length=100, required=False)
    family_name = serializers.CharField(max_length=100, required=False)
    date_of_birth = serializers.DateField(required=False)
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, required=False)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, help_text="ISO 3166, e.g. GB.")
    primary_care_provider = serializers.IntegerField(
        required=False, allow_null=True, source="primary_care_provider_id", help_text="A clinician's user id."
    )
    preferred_language = serializers.CharField(max_length=10, required=False, allow_blank=True)


class PatientOutput(serializers.ModelSerializer):
    address = serializers.CharField(read_only=True, help_text="The whole address, one line per part.")

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
            "address_line1",
            "address_line2",
            "city",
            "postal_code",
            "country",
            "address",
            "primary_care_provider",
            "preferred_language",
            "merged_into",
            "created_at",
            "updated_at",
        ]


class MergeInput(serializers.Serializer):
    duplicate = serializers.IntegerField(help_text="The record to merge into this one (it keeps its MRN as an alias).")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MergeOutput(serializers.ModelSerializer):
    class Meta:
        model = PatientMerge
        fields = [
            "id",
            "survivor",
            "duplicate",
            "merged_at",
            "merged_by",
            "reason",
            "moved",
            "kept",
            "undone_at",
            "undone_by",
        ]


class DepartmentOutput(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]


class Icd10Output(serializers.ModelSerializer):
    class Meta:
        model = Icd10Code
        fields = ["code", "description", "chapter", "chapter_title", "block", "billable"]


class EncounterInput(serializers.Serializer):
    patient = serializers.IntegerField()
    type = serializers.ChoiceField(choices=Encounter.Type.choices)
    department = serializers.IntegerField()
    attending = serializers.IntegerField(required=False, help_text="User id; defaults to the caller.")
    started_at = serializers.DateTimeField(required=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EncounterClose(serializers.Serializer):
    ended_at = serializers.DateTimeField(required=False)


class EncounterOutput(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    attending_name = serializers.CharField(source="attending.get_full_name", read_only=True)

    class Meta:
        model = Encounter
        fields = [
            "id",
            "patient",
            "type",
            "status",
            "department",
            "department_name",
            "attending",
            "attending_name",
            "started_at",
            "ended_at",
            "reason",
        ]


class DiagnosisInput(serializers.Serializer):
    encounter = serializers.IntegerField()
    code = serializers.CharField(max_length=10, help_text="ICD-10-CM code, e.g. E11.9 (the dot is optional).")
    is_primary = serializers.BooleanField(default=False)


class DiagnosisOutput(serializers.ModelSerializer):
    code = serializers.CharField(source="code_id")
    patient = serializers.IntegerField(source="encounter.patient_id", read_only=True)

    class Meta:
        model = Diagnosis
        fields = ["id", "encounter", "patient", "code", "description", "is_primary", "recorded_at", "resolved_at"]


class AllergyInput(serializers.Serializer):
    patient = serializers.IntegerField()
    allergen = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text="A code of the allergen list (GET /api/v1/allergens/), e.g. class:penicillins, drug:aspirin.",
    )
    substance = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Free text, when no allergen fits: coded when it names one on the list, else uncoded (it warns "
        "at every prescription).",
    )
    category = serializers.ChoiceField(
        choices=Allergy.Category.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="For an uncoded allergy (blank: not said).",
    )
    reaction = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Allergy.Severity.choices)
    verification = serializers.ChoiceField(
        choices=Allergy.Verification.choices, default=Allergy.Verification.UNCONFIRMED
    )
    onset = serializers.DateField(required=False, allow_null=True, default=None)


class AllergyUpdate(serializers.Serializer):
    allergen = serializers.CharField(max_length=60, required=False, help_text="Code an uncoded allergy.")
    reaction = serializers.CharField(max_length=200, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Allergy.Severity.choices, required=False)
    verification = serializers.ChoiceField(choices=Allergy.Verification.choices, required=False)
    onset = serializers.DateField(required=False, allow_null=True)


class AllergyOutput(serializers.ModelSerializer):
    coded = serializers.BooleanField(read_only=True)

    class Meta:
        model = Allergy
        fields = [
            "id",
            "patient",
            "allergen_code",
            "substance",
            "coded",
            "category",
            "reaction",
            "severity",
            "verification",
            "onset",
            "recorded_at",
        ]


class AllergenOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    drug_class = serializers.CharField(help_text="For a drug class: the class checked against.")
    ingredient = serializers.CharField(help_text="For a drug: the ingredient checked against.")
    atc = serializers.CharField(help_text="WHO ATC code or group, where there is one.")


class AllergyStatementInput(serializers.Serializer):
    patient = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AllergyStatement.Kind.choices)


class AllergyStatementOutput(serializers.ModelSerializer):
    class Meta:
        model = AllergyStatement
        fields = ["id", "patient", "kind", "stated_at", "stated_by", "withdrawn_at", "withdrawn_because"]


class AllergyStatusOutput(serializers.Serializer):
    state = serializers.ChoiceField(choices=["recorded", "nkda", "nka", "not_asked"])
    label = serializers.CharField()


class ConditionInput(serializers.Serializer):
    patient = serializers.IntegerField()
    code = serializers.CharField(max_length=10, help_text="A billable ICD-10-CM code, e.g. J18.9.")
    onset = serializers.DateField(required=False, allow_null=True, default=None)


class ConditionResolve(serializers.Serializer):
    resolved_on = serializers.DateField(required=False, allow_null=True, default=None)


class ConditionOutput(serializers.ModelSerializer):
    code = serializers.CharField(source="code_id")

    class Meta:
        model = Condition
        fields = [
            "id",
            "patient",
            "code",
            "description",
            "status",
            "onset",
            "resolved_on",
            "recorded_at",
            "last_diagnosed_at",
        ]


ALLERGENS = [vars(a) for a in allergens.ALLERGENS.values()]


class VitalsInput(serializers.Serializer):
    encounter = serializers.IntegerField()
    pulse = serializers.IntegerField(required=False, allow_null=True)
    systolic = serializers.IntegerField(required=False, allow_null=True)
    diastolic = serializers.IntegerField(required=False, allow_null=True)
    temperature = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True)
    spo2 = serializers.IntegerField(required=False, allow_null=True)
    respiratory_rate = serializers.IntegerField(required=False, allow_null=True)
    weight = serializers.DecimalField(max_digits=5, decimal_places=1, required=False, allow_null=True)


class VitalsOutput(serializers.ModelSerializer):
    class Meta:
        model = Vitals
        fields = ["id", "encounter", "recorded_at", *VITAL_RANGES]


class LabResultInput(serializers.Serializer):
    encounter = serializers.IntegerField()
    test = serializers.CharField(
        max_length=10,
        help_text="LOINC code: " + ", ".join(f"{t.code} {t.name} ({t.unit})" for t in lab_tests.LAB_TESTS.values()),
    )
    value = serializers.DecimalField(max_digits=10, decimal_places=3)
    unit = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="Default: the test's unit."
    )
    resulted_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    reference_low = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)
    reference_high = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)


class LabResultOutput(serializers.ModelSerializer):
    test = serializers.CharField(source="test_code")

    class Meta:
        model = LabResult
        fields = [
            "id",
            "encounter",
            "patient",
            "test",
            "test_name",
            "value",
            "unit",
            "reference_low",
            "reference_high",
            "flag",
            "resulted_at",
            "recorded_at",
        ]


class ClinicalNoteInput(serializers.Serializer):
    encounter = serializers.IntegerField()
    text = serializers.CharField(
        max_length=20_000, trim_whitespace=False, help_text="Free text; SOAP headings advised."
    )
    sign = serializers.BooleanField(default=False, help_text="Sign at once (a signed note is final).")


class ClinicalNoteText(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, trim_whitespace=False)
    sign = serializers.BooleanField(default=False, help_text="Sign it too (a signed note is final).")


class ClinicalNoteOutput(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="encounter.patient_id", read_only=True)
    amended_by = serializers.SerializerMethodField()

    class Meta:
        model = ClinicalNote
        fields = [
            "id", "encounter", "patient", "author", "text", "status", "amends", "amended_by",
            "created_at", "updated_at", "signed_at",
        ]  # fmt: skip

    def get_amended_by(self, note) -> int | None:
        """The note that corrects this one, if any."""
        return ClinicalNote.objects.filter(amends_id=note.pk).values_list("pk", flat=True).first()
