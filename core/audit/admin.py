"""The audit trail in the admin: read-only, filterable by patient, user, action and date, exported as CSV."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path

from core.admin import ReadOnlyAdmin
from core.audit import registry
from core.audit.models import AuditEvent
from core.csv_export import csv_download

CSV_COLUMNS = ["at", "username", "api_client", "action", "model", "object_id", "patient_id", "ip", "request_id", "path"]


class InputFilter(admin.SimpleListFilter):
    """A free-text filter (a patient id or MRN, a username): too many values for a list of links."""

    template = "admin/hmis/input_filter.html"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self):
        return True  # no lookups to list: the template draws a text box

    def get_facet_counts(self, pk_attname, filtered_qs):
        return {}

    def choices(self, changelist):
        query = changelist.get_filters_params()
        yield {"others": [(k, v) for k, v in query.items() if k != self.parameter_name]}


class PatientFilter(InputFilter):
    title = "patient (id or MRN)"
    parameter_name = "patient"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(patient_id=int(value))
        return queryset.filter(patient_id__in=registry.find_patients(value))


class UserFilter(InputFilter):
    title = "user or API client"
    parameter_name = "who"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        return queryset.filter(username=value) | queryset.filter(api_client=value)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "api_client", "action", "model", "object_id", "patient_id", "ip", "request_id"]
    list_filter = [PatientFilter, UserFilter, "action", "model", ("at", admin.DateFieldListFilter)]
    date_hierarchy = "at"
    search_fields = ["=request_id", "=object_id"]
    change_list_template = "admin/hmis/auditevent/change_list.html"
    show_full_result_count = False

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_csv)
        return [path("export/", export, name="hmis_auditevent_export"), *super().get_urls()]

    def export_csv(self, request):
        """The changelist's rows, same filters, as CSV ("who looked at this patient's record")."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = self.get_changelist_instance(request).get_queryset(request).order_by("at", "id")
        lines = ([getattr(event, c) for c in CSV_COLUMNS] for event in rows.iterator(chunk_size=2000))
        return csv_download("audit", CSV_COLUMNS, lines)
