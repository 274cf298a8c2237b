from django.contrib import admin

from clinical import commands
from clinical.models import Patient

REGISTRATION_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "phone", "address")


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "sex", "phone", "created_at"]
    list_filter = ["sex"]
    search_fields = ["mrn", "family_name", "given_name", "phone"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # The MRN is given (or generated) at registration and never changes afterwards.
        return [*self.readonly_fields, "mrn"] if obj else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["mrn"].required = False
            form.base_fields["mrn"].help_text = "Leave empty to generate one."
        return form

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = commands.patient_register(
            mrn=form.cleaned_data.get("mrn") or None, **{f: form.cleaned_data[f] for f in REGISTRATION_FIELDS}
        )
        obj.pk, obj.mrn = created.pk, created.mrn
