from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from core.audit import trail
from core.errors import DomainError
from core.models import ApiClient


class AuditedAdmin(admin.ModelAdmin):
    """Opening a row that belongs to a patient (change, delete, history pages) is a read of patient data."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and trail.patient_of(obj) is not None:
            trail.read_one(obj)
        return obj


class CommandErrorsAdmin(AuditedAdmin):
    """Admin whose saves go through commands: a domain error rolls the whole save back and is shown."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # raised inside the admin's atomic block: nothing was written
            for field, problems in exc.errors.items():
                label = "" if field in ("non_field_errors", "detail") else f"{field.replace('_', ' ')}: "
                for problem in problems:
                    self.message_user(request, f"Not saved. {label}{problem}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def confirm_page(self, request, *, title: str, objects, form, action: str, **extra) -> TemplateResponse:
        """The confirmation page of an action that runs a command: the objects, a small form, notes."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "objects": objects,
            "form": form,
            "action": action,
            "opts": self.model._meta,
            **extra,
        }
        return TemplateResponse(request, "admin/command_action.html", context)

    def run_command(self, request, command, **kwargs) -> bool:
        """For admin actions: run one command, report a domain error as a message."""
        try:
            command(**kwargs)
            return True
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False


class ReadOnlyAdmin(AuditedAdmin):
    """History and reference data: viewable, never added, edited or deleted here (commands write them)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    readonly_fields = ["name", "user", "key_prefix", "created_at"]
    fields = ["name", "user", "key_prefix", "active", "created_at"]

    def has_add_permission(self, request):
        return False  # keys are made with `manage.py create_api_client`, which shows the key once


from core.audit import admin as audit_admin  # noqa: E402, F401 (registers the audit trail's admin)
