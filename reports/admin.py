"""The read side's bookkeeping in the admin: reconciliation runs and the row differences they found."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from reports.models import ReconciliationRun, RowDrift


class RowDriftInline(admin.TabularInline):
    model = RowDrift
    fields = ["key", "field", "view", "source", "repaired_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["projection", "finished_at", "view_rows_differing", "summary_fields_differing", "repaired"]
    list_filter = ["projection", "repaired"]
    date_hierarchy = "finished_at"
    inlines = [RowDriftInline]

    def get_inlines(self, request, obj):
        # The differences hold patients' data: only for those who may see them.
        return self.inlines if request.user.has_perm("reports.view_rowdrift") else []


@admin.register(RowDrift)
class RowDriftAdmin(ReadOnlyAdmin):
    list_display = ["projection", "key", "field", "found_at", "repaired_at"]
    list_filter = ["projection", "field"]
    search_fields = ["key"]
    date_hierarchy = "found_at"
