import django_filters as filters

from clinical.models import Allergy, ClinicalNote, Diagnosis, Encounter, LabResult, Vitals


class EncounterFilter(filters.FilterSet):
    started_after = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Encounter
        fields = ["patient", "status", "type", "department", "attending"]


class DiagnosisFilter(filters.FilterSet):
    patient = filters.NumberFilter(field_name="encounter__patient")
    code = filters.CharFilter(field_name="code__code", lookup_expr="istartswith")
    active = filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull")

    class Meta:
        model = Diagnosis
        fields = ["encounter", "patient", "code", "is_primary", "active"]


class AllergyFilter(filters.FilterSet):
    class Meta:
        model = Allergy
        fields = ["patient", "severity", "verification", "category", "allergen_code"]


class VitalsFilter(filters.FilterSet):
    patient = filters.NumberFilter(field_name="encounter__patient")

    class Meta:
        model = Vitals
        fields = ["encounter", "patient"]


class LabResultFilter(filters.FilterSet):
    test = filters.CharFilter(field_name="test_code", help_text="LOINC code, e.g. 4548-4.")
    resulted_after = filters.IsoDateTimeFilter(field_name="resulted_at", lookup_expr="gte")
    resulted_before = filters.IsoDateTimeFilter(field_name="resulted_at", lookup_expr="lt")

    class Meta:
        model = LabResult
        fields = ["patient", "encounter", "test", "flag"]


class NoteFilter(filters.FilterSet):
    patient = filters.NumberFilter(field_name="encounter__patient")

    class Meta:
        model = ClinicalNote
        fields = ["encounter", "patient", "status", "author"]
