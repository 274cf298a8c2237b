"""Schedules, slots, appointments and the department queue (the write model).

What the database itself guarantees (docs/decisions/0012-booking-invariants-in-the-database.md):
- a slot never holds more live appointments than its capacity: `Slot.booked` is kept by a trigger on
  `scheduling_appointment` (migration 0002) and `CHECK (booked <= capacity)` refuses the one too many;
- a patient is never in two overlapping live appointments (an exclusion constraint over their times);
- a provider never has two overlapping slots (an exclusion constraint), so a slot is one place and time;
- an appointment's time, day, department and provider are its slot's (the same trigger copies them);
- a patient waits in at most one queue at a time, and a ticket number is given once per department and day.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone

from clinical.models import Department, Encounter, Patient


class TsTzRange(Func):
    """tstzrange(start, end): half open, so back-to-back times do not overlap."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Schedule(models.Model):
    """A provider's recurring weekly clinic in a department: its hours (rules), slot length and capacity."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, blank=True, help_text="e.g. Diabetes clinic; blank: the department.")
    slot_minutes = models.PositiveSmallIntegerField(default=15)
    capacity = models.PositiveSmallIntegerField(default=1, help_text="Patients booked into one slot.")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Blank: until further notice.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["department__name", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240), name="schedule_slot_minutes_sane"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1, capacity__lte=50), name="schedule_capacity_sane"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="schedule_valid_range_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.name or self.department} — {self.provider.get_full_name() or self.provider.get_username()}"


class ScheduleRule(models.Model):
    """One weekly session of a schedule: a weekday and its hours (local time of the hospital)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="rules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="schedulerule_ends_after_start"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="schedulerule_weekday_known"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class ScheduleException(models.Model):
    """Time when clinics do not run: a holiday (everyone, or one department) or a provider's leave.

    Slots inside it are not generated, and those already generated are blocked (their bookings stay, to be
    rescheduled: the front desk sees them listed)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        LEAVE = "leave", "Leave"
        CLOSURE = "closure", "Clinic closed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", null=True, blank=True, help_text="Blank: all."
    )
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="scheduleexception_ends_after_start"),
            models.CheckConstraint(
                condition=~Q(kind="leave") | Q(provider__isnull=False), name="scheduleexception_leave_names_provider"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reason}"


class Slot(models.Model):
    """One bookable time of one schedule, generated ahead (scheduling.commands.slots_generate)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="slots")
    # Copied from the schedule: searches by department and date, and the overlap constraint, use one row.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="The hospital's local date of the start.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    # Live (not cancelled) appointments in the slot: kept by the database (trigger), never by the code.
    booked = models.PositiveSmallIntegerField(default=0, editable=False)
    blocked = models.BooleanField(default=False, help_text="Inside a holiday or leave: no new bookings.")
    blocked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "provider_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "starts_at"], name="one_slot_per_schedule_start"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_positive"),
            models.CheckConstraint(
                condition=Q(booked__gte=0, booked__lte=F("capacity")),
                name="slot_booked_within_capacity",
                violation_error_message="This slot is fully booked.",
            ),
            ExclusionConstraint(
                name="slot_provider_no_overlap",
                expressions=[
                    ("provider", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
            ),
        ]
        indexes = [
            models.Index(fields=["department", "day", "starts_at"], name="slot_department_day"),
            models.Index(fields=["provider", "day", "starts_at"], name="slot_provider_day"),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{local:%Y-%m-%d %H:%M} {self.provider.get_full_name() or self.provider.get_username()}"

    @property
    def free(self) -> int:
        return 0 if self.blocked else self.capacity - self.booked


LIVE = ("booked", "checked_in")  # appointments that hold their patient's time


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    class Via(models.TextChoices):
        DESK = "desk", "Front desk"
        API = "api", "API"
        ADMIN = "admin", "Admin"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    # The slot's, copied by the database on every insert and move (trigger): the overlap constraint and
    # the patient's list read them from this row.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    reason = models.CharField(max_length=200, blank=True, help_text="Why the patient is coming.")
    notes = models.TextField(blank=True)
    booked_via = models.CharField(max_length=6, choices=Via.choices, default=Via.DESK)
    booked_at = models.DateTimeField(default=timezone.now)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    cancel_reason = models.CharField(max_length=200, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    # Null with no_show_at set: marked by the task after the slot ended.
    no_show_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            ExclusionConstraint(
                name="appointment_patient_no_overlap",
                expressions=[
                    ("patient", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=LIVE),
                violation_error_message="The patient already has an appointment at this time.",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False) & ~Q(cancel_reason=""),
                name="appointment_cancelled_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="no_show") | Q(no_show_at__isnull=False), name="appointment_no_show_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="checked_in") | Q(checked_in_at__isnull=False),
                name="appointment_checked_in_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_time"),
            models.Index(fields=["department", "day"], name="appointment_department_day"),
            # The no-show sweep: booked appointments whose slot has ended.
            models.Index(fields=["ends_at"], condition=Q(status="booked"), name="appointment_booked_ends"),
        ]

    def __str__(self):
        return f"{timezone.localtime(self.starts_at):%Y-%m-%d %H:%M} {self.patient}"


class AppointmentEvent(models.Model):
    """An appointment's history: booked, moved, cancelled, checked in, no-show, notes."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Booked"
        RESCHEDULED = "rescheduled", "Rescheduled"
        CANCELLED = "cancelled", "Cancelled"
        CHECKED_IN = "checked_in", "Checked in"
        NO_SHOW = "no_show", "No-show"
        NOTE = "note", "Note"

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    # A move's old slot (the reports recompute the day it left).
    from_slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["appointment", "at"], name="appointmentevent_appt_time")]

    def __str__(self):
        return f"{self.get_kind_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


ACTIVE = ("waiting", "called", "in_consultation")


class QueueEntry(models.Model):
    """A checked-in patient in a department's queue, with the encounter the check-in opened."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        CALLED = "called", "Called"
        IN_CONSULTATION = "in_consultation", "In consultation"
        DONE = "done", "Done"
        LEFT = "left", "Left without being seen"

    class Priority(models.TextChoices):
        EMERGENCY = "emergency", "Emergency"
        ELDERLY = "elderly", "Elderly"
        NORMAL = "normal", "Normal"

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="queue_entries")
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="queue_entry")
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="queue_entry", null=True, blank=True
    )
    # Whom the patient waits for (the appointment's provider); null: the first clinician free.
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    day = models.DateField(help_text="The hospital's local date of arrival.")
    ticket = models.PositiveIntegerField(help_text="Called out and shown on the board; per department and day.")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    arrived_at = models.DateTimeField(default=timezone.now)
    called_at = models.DateTimeField(null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    room = models.CharField(max_length=20, blank=True)
    consultation_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["arrived_at", "id"]
        verbose_name_plural = "queue entries"
        permissions = [("triage_queueentry", "Can set the priority of a queue entry")]
        constraints = [
            models.UniqueConstraint(fields=["department", "day", "ticket"], name="one_ticket_per_department_day"),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status__in=ACTIVE), name="patient_in_one_queue_at_a_time"
            ),
            models.CheckConstraint(
                condition=Q(status="waiting")
                | Q(status="left", finished_at__isnull=False)
                | Q(called_at__isnull=False, called_by__isnull=False),
                name="queueentry_called_has_caller",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["in_consultation", "done"]) | Q(consultation_started_at__isnull=False),
                name="queueentry_consultation_has_start",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["done", "left"]) | Q(finished_at__isnull=False),
                name="queueentry_finished_has_end",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "arrived_at"], condition=Q(status__in=ACTIVE), name="queue_active"),
            models.Index(fields=["patient", "arrived_at"], name="queue_patient_time"),
        ]

    def __str__(self):
        return f"{self.ticket_label} {self.patient}"

    @property
    def ticket_label(self) -> str:
        return f"{self.ticket:03d}"
