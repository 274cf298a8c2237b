"""Scheduling in the admin: schedules (with their weekly sessions) and exceptions are managed here, through
the same commands as the API; slots, appointments and the queue are seen here and changed by actions."""

from django import forms
from django.contrib import admin

from core.admin import CommandAdmin, ReadOnlyAdmin, changed, command_action
from scheduling import commands
from scheduling.forms import CancelForm
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    QueueEntry,
    Schedule,
    ScheduleException,
    ScheduleRule,
    Slot,
)


class RuleInline(admin.TabularInline):
    """The weekly sessions: given with a new schedule, or replaced as a whole on a change (the command
    regenerates the future slots either way)."""

    model = ScheduleRule
    fields = ["weekday", "start_time", "end_time"]
    extra = 1
    can_delete = True


def _rules(formsets) -> list[dict] | None:
    for formset in formsets:
        if formset.model is ScheduleRule:
            return [
                {k: f.cleaned_data[k] for k in ("weekday", "start_time", "end_time")}
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
    return None


@admin.register(Schedule)
class ScheduleAdmin(CommandAdmin):
    list_display = [
        "__str__",
        "department",
        "provider",
        "slot_minutes",
        "capacity",
        "valid_from",
        "valid_until",
        "active",
    ]
    list_filter = ["active", "department"]
    search_fields = ["name", "provider__username", "provider__last_name", "department__name"]
    list_select_related = ["department", "provider"]
    autocomplete_fields = ["provider"]
    inlines = [RuleInline]
    editable = ["name", "slot_minutes", "capacity", "valid_from", "valid_until", "active"]
    actions = ["generate_slots"]

    def get_readonly_fields(self, request, obj=None):
        return ["department", "provider"] if obj else []

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.schedule_create(
            department_id=data["department"].pk,
            provider_id=data["provider"].pk,
            rules=_rules(formsets) or [],
            name=data["name"],
            slot_minutes=data["slot_minutes"],
            capacity=data["capacity"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
        )

    def update(self, request, obj, form):
        commands.schedule_update(schedule_id=obj.pk, **changed(form, *self.editable))

    def save_inline(self, request, parent, formset):
        commands.schedule_update(schedule_id=parent.pk, rules=_rules([formset]))

    @command_action(description="Generate the selected schedules' slots now", perms=("scheduling.change_schedule",))
    def generate_slots(self, request, queryset):
        made = sum(commands.slots_generate(schedule_id=schedule.pk) for schedule in queryset)
        self.message_user(request, f"{made} new slot(s).")


class ExceptionAddForm(forms.ModelForm):
    start_date = forms.DateField(required=False, help_text="Whole days: the first (instead of the times) …")
    end_date = forms.DateField(required=False, help_text="… and the last (blank: one day).")

    class Meta:
        model = ScheduleException
        fields = ["kind", "reason", "department", "provider", "starts_at", "ends_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            if name in self.fields:  # the add form (on a change page they are shown read-only)
                self.fields[name].required = False

    def _post_clean(self):
        pass  # the command validates (whole days or times)


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(CommandAdmin):
    """Holidays, closures and leave: added here; withdrawn by the action (slots come back)."""

    list_display = ["kind", "reason", "department", "provider", "starts_at", "ends_at", "created_by"]
    list_filter = ["kind", "department"]
    date_hierarchy = "starts_at"
    list_select_related = ["department", "provider", "created_by"]
    form = ExceptionAddForm
    actions = ["withdraw"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "reason", "department", "provider", "start_date", "end_date", "starts_at", "ends_at"]
        return ["kind", "reason", "department", "provider", "starts_at", "ends_at", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.exception_add(
            kind=data["kind"],
            reason=data["reason"],
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
            department_id=data["department"].pk if data.get("department") else None,
            provider_id=data["provider"].pk if data.get("provider") else None,
            created_by=request.user,
        )

    @command_action(description="Withdraw the selected exceptions", perms=("scheduling.delete_scheduleexception",))
    def withdraw(self, request, queryset):
        done = sum(self.run_command(request, commands.exception_remove, exception_id=e.pk) for e in queryset)
        self.message_user(request, f"Withdrew {done} exception(s); their slots are back.")


@admin.register(Slot)
class SlotAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "ends_at", "provider", "department", "capacity", "booked", "blocked", "blocked_reason"]
    list_filter = ["blocked", "department"]
    date_hierarchy = "starts_at"
    list_select_related = ["provider", "department"]
    search_fields = ["provider__username", "provider__last_name"]


class EventInline(admin.TabularInline):
    model = AppointmentEvent
    fields = ["at", "kind", "by", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class BookForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ["patient", "slot", "reason", "notes"]

    def _post_clean(self):
        pass  # the command validates and fills in the slot's time


@admin.register(Appointment)
class AppointmentAdmin(CommandAdmin):
    """Booked here through the booking command; changed only by the actions (cancel, no-show, check in)."""

    list_display = ["starts_at", "patient", "provider", "department", "status", "booked_via", "reason"]
    list_filter = ["status", "booked_via", "department"]
    date_hierarchy = "starts_at"
    search_fields = ["patient__mrn", "patient__family_name", "patient__given_name"]
    list_select_related = ["patient", "provider", "department"]
    autocomplete_fields = ["patient"]
    raw_id_fields = ["slot"]
    form = BookForm
    inlines = [EventInline]
    actions = ["cancel", "mark_no_show", "check_in"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["patient", "slot", "reason", "notes"]
        return [
            "patient",
            "slot",
            "status",
            "reason",
            "notes",
            "booked_via",
            "booked_at",
            "booked_by",
            "checked_in_at",
            "cancelled_at",
            "cancel_reason",
            "no_show_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def create(self, request, form, formsets):
        data = form.cleaned_data
        return commands.appointment_book(
            patient_id=data["patient"].pk,
            slot_id=data["slot"].pk,
            reason=data["reason"],
            notes=data["notes"],
            booked_by=request.user,
            via=Appointment.Via.ADMIN,
        )

    @command_action(description="Cancel the selected appointments…", perms=("scheduling.change_appointment",))
    def cancel(self, request, queryset):
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = sum(
                self.run_command(
                    request,
                    commands.appointment_cancel,
                    appointment_id=a.pk,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
                for a in queryset
            )
            self.message_user(request, f"Cancelled {done} appointment(s).")
            return None
        return self.confirm_page(
            request, title="Cancel appointments", objects=list(queryset), form=form, action="cancel"
        )

    @command_action(description="Mark the selected appointments as no-shows", perms=("scheduling.change_appointment",))
    def mark_no_show(self, request, queryset):
        done = sum(
            self.run_command(request, commands.appointment_mark_no_show, appointment_id=a.pk, by=request.user)
            for a in queryset
        )
        self.message_user(request, f"Marked {done} no-show(s).")

    @command_action(
        description="Check in the selected appointments",
        perms=("scheduling.change_appointment", "scheduling.add_queueentry"),
    )
    def check_in(self, request, queryset):
        done = sum(
            self.run_command(request, commands.appointment_check_in, appointment_id=a.pk, checked_in_by=request.user)
            for a in queryset
        )
        self.message_user(request, f"Checked in {done} appointment(s).")


@admin.register(QueueEntry)
class QueueEntryAdmin(ReadOnlyAdmin):
    """The queue's record; it moves on the clinicians' pages (and by the action for a patient who left)."""

    list_display = ["day", "ticket", "department", "patient", "priority", "status", "arrived_at", "called_by"]
    list_filter = ["status", "priority", "department"]
    date_hierarchy = "arrived_at"
    search_fields = ["patient__mrn", "patient__family_name"]
    list_select_related = ["department", "patient", "called_by"]
    actions = ["left"]

    @command_action(description="Mark as left without being seen", perms=("scheduling.change_queueentry",))
    def left(self, request, queryset):
        done = sum(self.run_command(request, commands.queue_leave, entry_id=e.pk, by=request.user) for e in queryset)
        self.message_user(request, f"{done} patient(s) marked as left.")


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "appointment", "kind", "by", "detail"]
    list_filter = ["kind"]
    date_hierarchy = "at"
    list_select_related = ["appointment__patient", "by"]
