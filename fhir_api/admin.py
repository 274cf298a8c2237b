from django.contrib import admin
from django.utils.html import format_html

from core.admin import CommandAdmin, command_action
from fhir_api import commands
from fhir_api.models import BulkExport


@admin.register(BulkExport)
class BulkExportAdmin(CommandAdmin):
    """FHIR Bulk Data exports: who asked for what, and how far each has got (running ones first)."""

    list_display = ["requested_at", "level", "requested_by", "status", "progress", "current_type", "finished_at"]
    list_filter = ["status", "level"]
    readonly_fields = [f.name for f in BulkExport._meta.fields]
    actions = ["cancel"]

    @admin.display(description="progress")
    def progress(self, export):
        return format_html(
            '<progress max="100" value="{}" title="{} of {} rows">{}%</progress> {}%',
            export.percent,
            export.rows_done,
            export.rows_total,
            export.percent,
            export.percent,
        )

    @command_action(
        description="Cancel the selected exports (their files are deleted)", perms=("fhir_api.run_bulk_export",)
    )
    def cancel(self, request, queryset):
        done = sum(self.run_command(request, commands.export_cancel, export_id=e.pk) for e in queryset)
        self.message_user(request, f"Cancelled {done} export(s).")
