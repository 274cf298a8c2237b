from django.contrib import admin

from core.admin import CommandAdmin, command_action
from core.api import commands
from core.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(CommandAdmin):
    """Viewed and revoked here; made with `manage.py create_api_client`, which shows the key once."""

    list_display = ["name", "user", "key_prefix", "active", "created_at", "revoked_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    fields = ["name", "user", "key_prefix", "active", "created_at", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    @command_action(description="Revoke the selected API clients' keys", perms=("hmis.change_apiclient",))
    def revoke(self, request, queryset):
        done = sum(
            self.run_command(request, commands.api_client_revoke, client_id=pk, revoked_by=request.user)
            for pk in queryset.filter(active=True).values_list("pk", flat=True)
        )
        self.message_user(request, f"Revoked {done} API client(s).")
