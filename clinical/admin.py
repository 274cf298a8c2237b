from django.contrib import admin

from clinical import commands
from clinical.models import (
    VITAL_RANGES,
    Allergy,
    Department,
    Diagnosis,
    Encounter,
    Icd10Code,
    LabResult,
    Patient,
    Vitals,
)
from core.admin import CommandErrorsAdmin, ReadOnlyAdmin

REGISTRATION_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "phone", "address")


class AllergyInline(admin.TabularInline):
    model = Allergy
    extra = 0
    fields = ["substance", "reaction", "severity", "recorded_at"]
    readonly_fields = ["recorded_at"]


@admin.register(Patient)
class PatientAdmin(CommandErrorsAdmin):
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "sex", "phone", "created_at"]
    list_filter = ["sex"]
    search_fields = ["mrn", "family_name", "given_name", "phone"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AllergyInline]

    def get_readonly_fields(self, request, obj=None):
        # The MRN is given (or generated) at registration and never changes afterwards.
        return [*self.readonly_fields, "mrn"] if obj else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["mrn"].required = False
            form.base_fields["mrn"].help_text = "Leave empty to generate one."
        return form

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in REGISTRATION_FIELDS}
            commands.patient_update(patient_id=obj.pk, **changes)
            return
        created = commands.patient_register(
            mrn=form.cleaned_data.get("mrn") or None, **{f: form.cleaned_data[f] for f in REGISTRATION_FIELDS}
        )
        obj.pk, obj.mrn = created.pk, created.mrn

    def save_formset(self, request, form, formset, change):
        for item in formset.save(commit=False):
            if item.pk is None:  # new allergies go through the command; existing rows are edited in place
                commands.allergy_record(
                    patient_id=form.instance.pk,
                    substance=item.substance,
                    severity=item.severity,
                    reaction=item.reaction,
                    recorded_by=request.user,
                )
            else:
                item.save()
        for item in formset.deleted_objects:
            item.delete()


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Icd10Code)
class Icd10CodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "description", "block", "chapter", "billable"]
    list_filter = ["billable", "chapter"]
    search_fields = ["code", "description"]
    show_full_result_count = False


class DiagnosisInline(admin.TabularInline):
    model = Diagnosis
    extra = 0
    fields = ["code", "description", "is_primary", "recorded_at", "resolved_at"]
    readonly_fields = ["description", "recorded_at"]
    autocomplete_fields = ["code"]


class VitalsInline(admin.TabularInline):
    model = Vitals
    extra = 0
    fields = ["recorded_at", "pulse", "systolic", "diastolic", "temperature", "spo2", "respiratory_rate", "weight"]


@admin.action(description="Close the selected encounters")
def close_encounters(modeladmin, request, queryset):
    closed = sum(modeladmin.run_command(request, commands.encounter_close, encounter_id=e.pk) for e in queryset)
    modeladmin.message_user(request, f"Closed {closed} encounter(s).")


@admin.register(Encounter)
class EncounterAdmin(CommandErrorsAdmin):
    list_display = ["id", "patient", "type", "department", "attending", "status", "started_at", "ended_at"]
    list_filter = ["status", "type", "department"]
    search_fields = ["patient__mrn", "patient__family_name", "patient__given_name"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["patient", "attending"]
    list_select_related = ["patient", "department", "attending"]
    readonly_fields = ["status", "ended_at"]
    inlines = [DiagnosisInline, VitalsInline]
    actions = [close_encounters]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = commands.encounter_start(
            patient_id=obj.patient_id,
            type=obj.type,
            department_id=obj.department_id,
            attending_id=obj.attending_id,
            started_at=obj.started_at,
            reason=obj.reason,
        )
        obj.pk = created.pk

    def save_formset(self, request, form, formset, change):
        for item in formset.save(commit=False):
            if item.pk is not None:
                item.save()
            elif isinstance(item, Diagnosis):
                commands.diagnosis_record(
                    encounter_id=form.instance.pk,
                    code=item.code_id,
                    is_primary=item.is_primary,
                    recorded_by=request.user,
                )
            else:
                commands.vitals_record(
                    encounter_id=form.instance.pk,
                    recorded_by=request.user,
                    **{f: getattr(item, f) for f in VITAL_RANGES},
                )
        for item in formset.deleted_objects:
            item.delete()


@admin.register(Diagnosis)
class DiagnosisAdmin(CommandErrorsAdmin):
    list_display = ["code", "description", "encounter", "is_primary", "recorded_at", "resolved_at"]
    list_filter = ["is_primary"]
    search_fields = ["code__code", "description", "encounter__patient__mrn"]
    date_hierarchy = "recorded_at"
    list_select_related = ["encounter__patient"]
    autocomplete_fields = ["code", "encounter"]
    readonly_fields = ["description", "recorded_at", "recorded_by"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = commands.diagnosis_record(
            encounter_id=obj.encounter_id, code=obj.code_id, is_primary=obj.is_primary, recorded_by=request.user
        )
        obj.pk = created.pk


@admin.register(Allergy)
class AllergyAdmin(CommandErrorsAdmin):
    list_display = ["patient", "substance", "reaction", "severity", "recorded_at"]
    list_filter = ["severity"]
    search_fields = ["substance", "patient__mrn", "patient__family_name"]
    autocomplete_fields = ["patient"]
    readonly_fields = ["recorded_at", "recorded_by"]
    list_select_related = ["patient"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = commands.allergy_record(
            patient_id=obj.patient_id,
            substance=obj.substance,
            severity=obj.severity,
            reaction=obj.reaction,
            recorded_by=request.user,
        )
        obj.pk = created.pk


@admin.register(Vitals)
class VitalsAdmin(CommandErrorsAdmin):
    list_display = ["encounter", "recorded_at", "pulse", "systolic", "diastolic", "temperature", "spo2", "weight"]
    date_hierarchy = "recorded_at"
    autocomplete_fields = ["encounter"]
    readonly_fields = ["recorded_at", "recorded_by"]
    list_select_related = ["encounter__patient"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = commands.vitals_record(
            encounter_id=obj.encounter_id, recorded_by=request.user, **{f: getattr(obj, f) for f in VITAL_RANGES}
        )
        obj.pk = created.pk


@admin.register(LabResult)
class LabResultAdmin(CommandErrorsAdmin):
    list_display = ["resulted_at", "patient", "test_name", "value", "unit", "flag", "encounter"]
    list_filter = ["flag", "test_code"]
    search_fields = ["patient__mrn", "patient__family_name", "test_code", "test_name"]
    date_hierarchy = "resulted_at"
    autocomplete_fields = ["encounter"]
    list_select_related = ["patient"]
    fields = [
        "encounter",
        "patient",
        "test_code",
        "test_name",
        "value",
        "unit",
        "reference_low",
        "reference_high",
        "flag",
        "resulted_at",
        "recorded_at",
        "recorded_by",
    ]
    computed = ["patient", "test_name", "flag", "recorded_at", "recorded_by"]

    def get_readonly_fields(self, request, obj=None):
        # A result is never edited: a corrected result is recorded as a new one (the old stays on record).
        return self.fields if obj else self.computed

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = commands.lab_result_record(
            encounter_id=obj.encounter_id,
            test=obj.test_code,
            value=obj.value,
            unit=obj.unit,
            resulted_at=obj.resulted_at,
            reference_low=obj.reference_low,
            reference_high=obj.reference_high,
            recorded_by=request.user,
        )
        obj.pk = created.pk
