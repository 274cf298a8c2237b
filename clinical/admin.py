from django import forms
from django.contrib import admin, messages

from clinical import allergens, commands
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
from core.admin import AddOnlyInline, CommandAdmin, ReadOnlyAdmin, changed, command_action

REGISTRATION_FIELDS = (
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
    "primary_care_provider",
    "preferred_language",
)


def _patient_arguments(values: dict) -> dict:
    """The form's values as the patient commands take them (the provider by id)."""
    if "primary_care_provider" in values:
        provider = values.pop("primary_care_provider")
        values["primary_care_provider_id"] = provider.pk if provider else None
    return values


MERGE = "clinical.merge_patient"

ALLERGEN_CHOICES = [("", "Free text (uncoded)"), *allergens.choices()]


class AllergyAdminForm(forms.ModelForm):
    allergen_code = forms.ChoiceField(choices=ALLERGEN_CHOICES, required=False, label="Allergen")
    substance = forms.CharField(max_length=100, required=False, help_text="Only for an allergy not on the list.")

    class Meta:
        model = Allergy
        fields = ["allergen_code", "substance", "category", "reaction", "severity", "verification", "onset"]


class AllergyInline(AddOnlyInline):
    model = Allergy
    form = AllergyAdminForm
    fields = ["allergen_code", "substance", "category", "reaction", "severity", "verification", "onset", "recorded_at"]
    readonly_fields = ["recorded_at"]


ALLERGY_FIELDS = ("category", "reaction", "severity", "verification", "onset")


class MergeForm(forms.Form):
    survivor = forms.ChoiceField(label="Keep this record", help_text="The other is merged into it.")
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, patients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(p.pk, str(p)) for p in patients]


class MergedFilter(admin.SimpleListFilter):
    title = "merged"
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("no", "Active records"), ("yes", "Merged into another")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(merged_into__isnull=self.value() == "no")
        return queryset


@admin.register(Patient)
class PatientAdmin(CommandAdmin):
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "sex", "phone", "merged_into", "created_at"]
    list_filter = ["sex", MergedFilter]
    search_fields = ["mrn", "family_name", "given_name", "phone"]
    date_hierarchy = "created_at"
    readonly_fields = ["merged_into", "created_at", "updated_at"]
    inlines = [AllergyInline]
    actions = ["merge_patients", "unmerge_patients"]

    @command_action(description="Merge the two selected records…", perms=(MERGE,))
    def merge_patients(self, request, queryset):
        patients = list(queryset.order_by("pk")[:3])
        if len(patients) != 2:
            self.message_user(request, "Select exactly two records: the one to keep and its duplicate.", messages.ERROR)
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None, patients=patients)
        if form.is_valid():
            survivor = int(form.cleaned_data["survivor"])
            duplicate = next(p.pk for p in patients if p.pk != survivor)
            if self.run_command(
                request,
                commands.patient_merge,
                survivor_id=survivor,
                duplicate_id=duplicate,
                merged_by=request.user,
                reason=form.cleaned_data["reason"],
            ):
                self.message_user(request, f"Merged patient {duplicate} into patient {survivor}.")
            return None
        return self.confirm_page(
            request,
            title="Merge duplicate records",
            objects=queryset,
            form=form,
            action="merge_patients",
            intro="Every encounter, allergy, problem, lab result, invoice, appointment and admission of the other "
            "record moves to the one kept, in one transaction; its MRN then finds the record kept. It can be "
            "undone today (action “Undo the merge”).",
        )

    @command_action(
        description="Undo the merge of the selected records (today's only)", perms=("clinical.merge_patient",)
    )
    def unmerge_patients(self, request, queryset):
        undone = sum(
            self.run_command(request, commands.patient_unmerge, duplicate_id=pk, undone_by=request.user)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Undid {undone} merge(s).")

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

    def create(self, request, form, formsets):
        return commands.patient_register(
            mrn=form.cleaned_data.get("mrn") or None,
            **_patient_arguments({f: form.cleaned_data[f] for f in REGISTRATION_FIELDS}),
        )

    def update(self, request, obj, form):
        commands.patient_update(patient_id=obj.pk, **_patient_arguments(changed(form, *REGISTRATION_FIELDS)))

    def save_inline(self, request, parent, formset):
        for item in formset.save(commit=False):
            commands.allergy_record(
                patient_id=parent.pk,
                allergen=item.allergen_code,
                substance=item.substance,
                recorded_by=request.user,
                **{f: getattr(item, f) for f in ALLERGY_FIELDS},
            )


@admin.register(PatientMerge)
class PatientMergeAdmin(ReadOnlyAdmin):
    list_display = ["merged_at", "duplicate", "survivor", "merged_by", "undone_at"]
    list_filter = ["undone_at"]
    search_fields = ["survivor__mrn", "duplicate__mrn"]


@admin.register(ClinicalNote)
class ClinicalNoteAdmin(ReadOnlyAdmin):
    """Notes are written, signed and amended on the chart (or the API), never here."""

    list_display = ["created_at", "encounter", "author", "status", "signed_at", "amends"]
    list_filter = ["status"]
    list_select_related = ["encounter__patient", "author", "amends"]
    search_fields = ["encounter__patient__mrn"]


@admin.register(Department)
class DepartmentAdmin(CommandAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def create(self, request, form, formsets):
        return commands.department_create(code=form.cleaned_data["code"], name=form.cleaned_data["name"])

    def update(self, request, obj, form):
        if "name" in form.changed_data:
            commands.department_update(department_id=obj.pk, name=form.cleaned_data["name"])


@admin.register(Icd10Code)
class Icd10CodeAdmin(ReadOnlyAdmin):
    list_display = ["code", "description", "block", "chapter", "billable"]
    list_filter = ["billable", "chapter"]
    search_fields = ["code", "description"]
    show_full_result_count = False


class DiagnosisInline(AddOnlyInline):
    model = Diagnosis
    fields = ["code", "description", "is_primary", "recorded_at", "resolved_at"]
    readonly_fields = ["description", "recorded_at", "resolved_at"]
    autocomplete_fields = ["code"]


class VitalsInline(AddOnlyInline):
    model = Vitals
    fields = ["recorded_at", "pulse", "systolic", "diastolic", "temperature", "spo2", "respiratory_rate", "weight"]
    readonly_fields = ["recorded_at"]


@command_action(description="Close the selected encounters", perms=("clinical.change_encounter",))
def close_encounters(modeladmin, request, queryset):
    closed = sum(modeladmin.run_command(request, commands.encounter_close, encounter_id=e.pk) for e in queryset)
    modeladmin.message_user(request, f"Closed {closed} encounter(s).")


@admin.register(Encounter)
class EncounterAdmin(CommandAdmin):
    list_display = ["id", "patient", "type", "department", "attending", "status", "started_at", "ended_at"]
    list_filter = ["status", "type", "department"]
    search_fields = ["patient__mrn", "patient__family_name", "patient__given_name"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["patient", "attending"]
    list_select_related = ["patient", "department", "attending"]
    readonly_fields = ["status", "ended_at"]
    inlines = [DiagnosisInline, VitalsInline]
    actions = [close_encounters]

    def get_readonly_fields(self, request, obj=None):
        # A visit stays with its patient and its start: one recorded wrongly is closed and recorded again.
        return [*self.readonly_fields, "patient", "started_at"] if obj else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.encounter_start(
            patient_id=data["patient"].pk,
            type=data["type"],
            department_id=data["department"].pk,
            attending_id=data["attending"].pk,
            started_at=data.get("started_at"),
            reason=data.get("reason", ""),
        )

    def update(self, request, obj, form):
        commands.encounter_update(encounter_id=obj.pk, **changed(form, "type", "department", "attending", "reason"))

    def save_inline(self, request, parent, formset):
        for item in formset.save(commit=False):
            if isinstance(item, Diagnosis):
                commands.diagnosis_record(
                    encounter_id=parent.pk, code=item.code_id, is_primary=item.is_primary, recorded_by=request.user
                )
            else:
                commands.vitals_record(
                    encounter_id=parent.pk, recorded_by=request.user, **{f: getattr(item, f) for f in VITAL_RANGES}
                )


@command_action(description="Resolve the selected diagnoses", perms=("clinical.change_diagnosis",))
def resolve_diagnoses(modeladmin, request, queryset):
    done = sum(
        modeladmin.run_command(request, commands.diagnosis_resolve, diagnosis_id=d.pk)
        for d in queryset.filter(resolved_at__isnull=True)
    )
    modeladmin.message_user(request, f"Resolved {done} diagnosis(es).")


@admin.register(Diagnosis)
class DiagnosisAdmin(CommandAdmin):
    list_display = ["code", "description", "encounter", "is_primary", "recorded_at", "resolved_at"]
    list_filter = ["is_primary"]
    search_fields = ["code__code", "description", "encounter__patient__mrn"]
    date_hierarchy = "recorded_at"
    list_select_related = ["encounter__patient"]
    autocomplete_fields = ["code", "encounter"]
    readonly_fields = ["description", "recorded_at", "recorded_by", "resolved_at"]
    actions = [resolve_diagnoses]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "encounter"] if obj else self.readonly_fields

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.diagnosis_record(
            encounter_id=data["encounter"].pk,
            code=data["code"].pk,
            is_primary=data["is_primary"],
            recorded_by=request.user,
        )

    def update(self, request, obj, form):
        changes = changed(form, "is_primary")
        if "code" in form.changed_data:
            changes["code"] = form.cleaned_data["code"].pk  # the command sets the description from the code
        commands.diagnosis_update(diagnosis_id=obj.pk, **changes)


@admin.register(Allergy)
class AllergyAdmin(CommandAdmin):
    form = AllergyAdminForm
    list_display = ["patient", "substance", "allergen_code", "category", "severity", "verification", "recorded_at"]
    list_filter = ["verification", "category", "severity"]
    search_fields = ["substance", "allergen_code", "patient__mrn", "patient__family_name"]
    autocomplete_fields = ["patient"]
    readonly_fields = ["recorded_at", "recorded_by"]
    list_select_related = ["patient"]

    def get_fields(self, request, obj=None):
        return ["patient", *AllergyAdminForm.Meta.fields, "recorded_at", "recorded_by"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "patient"] if obj else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = [f for f in self.get_fields(request, obj) if f not in self.get_readonly_fields(request, obj)]
        return super().get_form(request, obj, change=change, **kwargs)

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.allergy_record(
            patient_id=data["patient"].pk,
            allergen=data["allergen_code"],
            substance=data.get("substance", ""),
            recorded_by=request.user,
            **{f: data.get(f) for f in ALLERGY_FIELDS},
        )

    def update(self, request, obj, form):
        changes = changed(form, *ALLERGY_FIELDS)
        if "allergen_code" in form.changed_data and form.cleaned_data["allergen_code"]:
            changes["allergen"] = form.cleaned_data["allergen_code"]
        elif "substance" in form.changed_data:
            changes["substance"] = form.cleaned_data["substance"]
        commands.allergy_update(allergy_id=obj.pk, **changes)


@admin.register(AllergyStatement)
class AllergyStatementAdmin(CommandAdmin):
    """'No known (drug) allergies': recorded here or on the chart; withdrawn by the allergy that denies it."""

    list_display = ["patient", "kind", "stated_at", "stated_by", "withdrawn_at", "withdrawn_because"]
    list_filter = ["kind"]
    search_fields = ["patient__mrn", "patient__family_name"]
    autocomplete_fields = ["patient"]
    fields = ["patient", "kind", "stated_at", "stated_by", "withdrawn_at", "withdrawn_because"]
    readonly_fields = ["stated_at", "stated_by", "withdrawn_at", "withdrawn_because"]
    list_select_related = ["patient", "stated_by"]

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.allergy_statement_record(
            patient_id=data["patient"].pk, kind=data["kind"], stated_by=request.user
        )


@command_action(description="Resolve the selected problems", perms=("clinical.change_condition",))
def resolve_conditions(modeladmin, request, queryset):
    done = sum(
        modeladmin.run_command(request, commands.condition_resolve, condition_id=c.pk)
        for c in queryset.filter(status=Condition.Status.ACTIVE)
    )
    modeladmin.message_user(request, f"Resolved {done} problem(s).")


@admin.register(Condition)
class ConditionAdmin(CommandAdmin):
    """The problem list: one row per problem (diagnoses add and confirm them); resolved with the action."""

    list_display = ["patient", "code", "description", "status", "onset", "resolved_on", "last_diagnosed_at"]
    list_filter = ["status"]
    search_fields = ["code__code", "description", "patient__mrn", "patient__family_name"]
    autocomplete_fields = ["patient", "code"]
    fields = ["patient", "code", "description", "status", "onset", "resolved_on", "recorded_at", "last_diagnosed_at"]
    readonly_fields = ["description", "status", "resolved_on", "recorded_at", "last_diagnosed_at"]
    list_select_related = ["patient"]
    actions = [resolve_conditions]

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.condition_record(
            patient_id=data["patient"].pk, code=data["code"].pk, onset=data.get("onset"), recorded_by=request.user
        )


@admin.register(Vitals)
class VitalsAdmin(CommandAdmin):
    """Vital signs are measurements: one recorded wrongly stays on record, and a new one is taken."""

    list_display = ["encounter", "recorded_at", "pulse", "systolic", "diastolic", "temperature", "spo2", "weight"]
    date_hierarchy = "recorded_at"
    autocomplete_fields = ["encounter"]
    readonly_fields = ["recorded_at", "recorded_by"]
    list_select_related = ["encounter__patient"]

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.vitals_record(
            encounter_id=data["encounter"].pk, recorded_by=request.user, **{f: data.get(f) for f in VITAL_RANGES}
        )


@admin.register(LabResult)
class LabResultAdmin(CommandAdmin):
    """A result is never edited: a corrected result is recorded as a new one (the old stays on record)."""

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
    readonly_fields = ["patient", "test_name", "flag", "recorded_at", "recorded_by"]

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.lab_result_record(
            encounter_id=data["encounter"].pk,
            test=data["test_code"],
            value=data["value"],
            unit=data.get("unit", ""),
            resulted_at=data.get("resulted_at"),
            reference_low=data.get("reference_low"),
            reference_high=data.get("reference_high"),
            recorded_by=request.user,
        )
