from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scheduling.common import who
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    QueueEntry,
    Schedule,
    ScheduleException,
    ScheduleRule,
    Slot,
)


@extend_schema_field({"type": "string", "nullable": True, "readOnly": True})
class NameField(serializers.Field):
    """A user's display name (read-only)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return who(value) if value is not None else None


# --- schedules ---------------------------------------------------------------------------------------------


class RuleInput(serializers.Serializer):
    weekday = serializers.ChoiceField(choices=ScheduleRule.Weekday.choices, help_text="0 = Monday ... 6 = Sunday.")
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()


class RuleOutput(serializers.ModelSerializer):
    class Meta:
        model = ScheduleRule
        fields = ["weekday", "start_time", "end_time"]


class ScheduleInput(serializers.Serializer):
    department = serializers.IntegerField()
    provider = serializers.IntegerField()
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    slot_minutes = serializers.IntegerField(min_value=5, max_value=240, default=15)
    capacity = serializers.IntegerField(min_value=1, max_value=50, default=1)
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    rules = RuleInput(many=True, allow_empty=False)


class ScheduleUpdate(serializers.Serializer):
    name = serializers.CharField(max_length=100, allow_blank=True)
    slot_minutes = serializers.IntegerField(min_value=5, max_value=240)
    capacity = serializers.IntegerField(min_value=1, max_value=50)
    valid_until = serializers.DateField(allow_null=True)
    active = serializers.BooleanField()
    rules = RuleInput(many=True, allow_empty=False)


class ScheduleOutput(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    provider_name = NameField(source="provider")
    rules = RuleOutput(many=True, read_only=True)

    class Meta:
        model = Schedule
        fields = [
            "id",
            "department",
            "department_name",
            "provider",
            "provider_name",
            "name",
            "slot_minutes",
            "capacity",
            "valid_from",
            "valid_until",
            "active",
            "rules",
        ]


class ExceptionInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ScheduleException.Kind.choices)
    reason = serializers.CharField(max_length=200)
    start_date = serializers.DateField(required=False, help_text="Whole local days: the first ...")
    end_date = serializers.DateField(required=False, help_text="... and the last (default: start_date).")
    starts_at = serializers.DateTimeField(required=False, help_text="Or exact times: from ...")
    ends_at = serializers.DateTimeField(required=False, help_text="... to.")
    department = serializers.IntegerField(required=False, allow_null=True, help_text="Blank: every department.")
    provider = serializers.IntegerField(required=False, allow_null=True, help_text="Leave: whose.")


class ExceptionOutput(serializers.ModelSerializer):
    class Meta:
        model = ScheduleException
        fields = ["id", "kind", "reason", "department", "provider", "starts_at", "ends_at", "created_at"]


# --- slots and appointments --------------------------------------------------------------------------------


class SlotOutput(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    provider_name = NameField(source="provider")
    free = serializers.IntegerField(read_only=True)

    class Meta:
        model = Slot
        fields = [
            "id",
            "schedule",
            "department",
            "department_name",
            "provider",
            "provider_name",
            "day",
            "starts_at",
            "ends_at",
            "capacity",
            "booked",
            "free",
            "blocked",
            "blocked_reason",
        ]


class AppointmentInput(serializers.Serializer):
    patient = serializers.IntegerField()
    slot = serializers.IntegerField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RescheduleInput(serializers.Serializer):
    slot = serializers.IntegerField(help_text="The new slot.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AppointmentCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=300)


class CheckInInput(serializers.Serializer):
    priority = serializers.ChoiceField(
        choices=QueueEntry.Priority.choices, required=False, help_text="Default: elderly by age, else normal."
    )


class EventOutput(serializers.ModelSerializer):
    by_name = NameField(source="by")

    class Meta:
        model = AppointmentEvent
        fields = ["kind", "at", "by", "by_name", "from_slot", "detail"]


class AppointmentOutput(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.__str__", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    provider_name = NameField(source="provider")

    class Meta:
        model = Appointment
        fields = [
            "id",
            "patient",
            "patient_name",
            "slot",
            "department",
            "department_name",
            "provider",
            "provider_name",
            "day",
            "starts_at",
            "ends_at",
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


class AppointmentDetailOutput(AppointmentOutput):
    events = EventOutput(many=True, read_only=True)

    class Meta(AppointmentOutput.Meta):
        fields = [*AppointmentOutput.Meta.fields, "events"]


# --- the queue ---------------------------------------------------------------------------------------------


class WalkInInput(serializers.Serializer):
    patient = serializers.IntegerField()
    department = serializers.IntegerField()
    provider = serializers.IntegerField(required=False, allow_null=True, help_text="Blank: the first clinician free.")
    priority = serializers.ChoiceField(choices=QueueEntry.Priority.choices, required=False)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CallNextInput(serializers.Serializer):
    department = serializers.IntegerField()
    room = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class CallInput(serializers.Serializer):
    room = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class FinishInput(serializers.Serializer):
    close_encounter = serializers.BooleanField(default=True, help_text="False: the visit carries on elsewhere.")


class LeaveInput(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PriorityInput(serializers.Serializer):
    priority = serializers.ChoiceField(choices=QueueEntry.Priority.choices)


class QueueEntryOutput(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.__str__", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    provider_name = NameField(source="provider")
    called_by_name = NameField(source="called_by")
    ticket_label = serializers.CharField(read_only=True)

    class Meta:
        model = QueueEntry
        fields = [
            "id",
            "department",
            "department_name",
            "patient",
            "patient_name",
            "encounter",
            "appointment",
            "provider",
            "provider_name",
            "day",
            "ticket",
            "ticket_label",
            "priority",
            "status",
            "arrived_at",
            "called_at",
            "called_by",
            "called_by_name",
            "room",
            "consultation_started_at",
            "finished_at",
            "note",
        ]
