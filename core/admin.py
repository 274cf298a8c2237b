"""Admin bases. Admins are a fourth way to write, after pages, the API and management commands, and like
them they write only through commands (DESIGN: nothing writes around the commands):

- `CommandAdmin`: adds and changes run the subclass's `create` / `update` (each calls one command); without
  them the admin cannot add, and existing rows are view-only. Rows are never deleted here: records are
  corrected by commands (void, cancel, resolve, deactivate). Inline rows are written only by `save_inline`.
  A domain error rolls the whole save back and is shown as a message.
- `command_action`: an admin action that runs a command, offered and run only for users holding the
  model permissions the same command needs through the API.
- `ReadOnlyAdmin`: history and reference data.
Opening a row that belongs to a patient is recorded as a read of their data (`AuditedAdmin`).
"""

import functools

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from core.audit import trail
from core.errors import DomainError


class AuditedAdmin(admin.ModelAdmin):
    """Opening a row that belongs to a patient (change, delete, history pages) is a read of patient data."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and trail.patient_of(obj) is not None:
            trail.read_one(obj)
        return obj

    def get_actions(self, request):
        # An action that runs a command is offered, and found when posted, only with its permissions.
        return {
            name: entry
            for name, entry in super().get_actions(request).items()
            if request.user.has_perms(getattr(entry[0], "required_perms", ()))
        }


def command_action(*, description: str, perms: tuple[str, ...]):
    """Decorate an admin action that runs a command; `perms` are the model permissions it needs (as the
    same command needs through the API). Refused with 403 when called without them."""

    def decorate(func):
        @functools.wraps(func)
        def action(modeladmin, request, queryset):
            if not request.user.has_perms(perms):
                raise PermissionDenied
            return func(modeladmin, request, queryset)

        action.required_perms = perms
        return admin.action(description=description)(action)

    return decorate


def changed(form, *names: str) -> dict:
    """The change form's changed fields among `names`, as command arguments (related rows by id)."""
    changes = {}
    for name in names:
        if name in form.changed_data:
            value = form.cleaned_data[name]
            changes[f"{name}_id" if hasattr(value, "pk") else name] = value.pk if hasattr(value, "pk") else value
    return changes


class CommandAdmin(AuditedAdmin):
    """Every write of this admin runs a command; see the module's docstring."""

    def create(self, request, form, formsets):
        """Run the command that makes the row from the add form's cleaned data (and the inline rows given
        with it, for a row made whole in one command); return the new row."""
        raise NotImplementedError

    def update(self, request, obj, form) -> None:
        """Run the command that changes the row from the change form's changed data."""
        raise NotImplementedError

    def save_inline(self, request, parent, formset) -> None:
        """Run the commands for an inline formset's new and changed rows."""
        raise NotImplementedError

    def _defines(self, name: str) -> bool:
        return getattr(type(self), name) is not getattr(CommandAdmin, name)

    def has_add_permission(self, request, *args):
        return self._defines("create") and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self._defines("update"):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            self.update(request, obj, form)
        # A new row is made in save_related, where the inline rows given with it are known.

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields would be saved around the commands: admins here have none.
        if not change:
            created = self.create(request, form, formsets)
            for field in created._meta.concrete_fields:  # the admin's messages and redirect show the new row
                setattr(form.instance, field.attname, getattr(created, field.attname))
        for formset in formsets:
            if change and formset.has_changed():
                self.save_inline(request, form.instance, formset)
            # Saved by commands, not by the formset: nothing for the admin's log to list.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

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


class _RecordedRowsReadOnly(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:  # on record: shown, never changed here
            for field in self.fields.values():
                field.disabled = True


class AddOnlyInline(admin.TabularInline):
    """Rows recorded on the parent's page: new ones are added (the parent's `save_inline` runs the command),
    rows already on record are shown read-only and never deleted."""

    form = _RecordedRowsReadOnly
    extra = 0
    can_delete = False


class ReadOnlyAdmin(AuditedAdmin):
    """History and reference data: viewable, never added, edited or deleted here (commands write them)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from core.api import admin as api_admin  # noqa: E402, F401 (registers the API clients' admin)
from core.audit import admin as audit_admin  # noqa: E402, F401 (registers the audit trail's admin)
