"""Wards, beds, the admission queue, admissions with their bed history, and the bed-days charged.

The database keeps the two rules a bed board lives by, whatever the application does: a bed holds one
patient at a time, and a patient is in one bed at a time (exclusion constraints over each assignment's
time range, btree_gist). A patient also has one admission at a time. The commands lock rows and give the
friendly message; the constraints make it true when two clerks press the button at the same moment.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone

from billing.models import InvoiceLine
from clinical.models import Department, Encounter, Patient


def money(**kwargs):
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class TsTzRange(Func):
    """tstzrange(start, end, '[)'): an open end (NULL) is unbounded."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def _period(start: str, end: str) -> TsTzRange:
    return TsTzRange(start, end, RangeBoundary())


class Ward(models.Model):
    class SexPolicy(models.TextChoices):
        ANY = "any", "Any"
        FEMALE = "female", "Women only"
        MALE = "male", "Men only"

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100, unique=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="wards")
    sex_policy = models.CharField(max_length=8, choices=SexPolicy.choices, default=SexPolicy.ANY)
    bed_day_price = money(help_text="Charged for each midnight a patient spends in one of its beds.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(bed_day_price__gte=0), name="ward_bed_day_price_not_negative"),
            models.CheckConstraint(condition=Q(sex_policy__in=["any", "female", "male"]), name="ward_sex_policy_known"),
        ]

    def __str__(self):
        return self.name


class Bed(models.Model):
    class Status(models.TextChoices):
        FREE = "free", "Free"
        OCCUPIED = "occupied", "Occupied"
        RESERVED = "reserved", "Reserved"
        CLEANING = "cleaning", "Cleaning"
        OUT_OF_SERVICE = "out_of_service", "Out of service"

    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="beds")
    label = models.CharField(max_length=20)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FREE)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # The request (the patient waiting in the queue) a reserved bed is held for.
    reserved_for = models.ForeignKey(
        "AdmissionRequest", on_delete=models.PROTECT, related_name="reserved_beds", null=True, blank=True
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why it is out of service, for instance.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["ward__name", "label"]
        constraints = [
            models.UniqueConstraint(fields=["ward", "label"], name="one_bed_label_per_ward"),
            models.CheckConstraint(
                condition=Q(status__in=["free", "occupied", "reserved", "cleaning", "out_of_service"]),
                name="bed_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="reserved", reserved_for__isnull=False)
                | (~Q(status="reserved") & Q(reserved_for__isnull=True)),
                name="bed_reserved_for_a_request",
            ),
        ]
        indexes = [models.Index(fields=["status", "ward"])]
        permissions = [("housekeep_bed", "Can mark a bed cleaned, out of service or back in service")]

    def __str__(self):
        return f"{self.ward.name} bed {self.label}"


class AdmissionRequest(models.Model):
    """The queue: an inpatient encounter waiting for a bed (in a ward, or any)."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        ADMITTED = "admitted", "Admitted"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.TextChoices):
        URGENT = "urgent", "Urgent"
        ROUTINE = "routine", "Routine"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="admission_requests")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="admission_requests")
    ward = models.ForeignKey(
        Ward, on_delete=models.PROTECT, related_name="requests", null=True, blank=True, help_text="Empty: any ward."
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.ROUTINE)
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]  # the queue's own order is QUEUE_ORDER
        constraints = [
            models.UniqueConstraint(
                fields=["encounter"],
                condition=Q(status="waiting"),
                name="one_waiting_request_per_encounter",
                violation_error_message="This encounter is already waiting for a bed.",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting", closed_at__isnull=True)
                | (~Q(status="waiting") & Q(closed_at__isnull=False)),
                name="admission_request_closed_when_done",
            ),
        ]
        indexes = [models.Index(fields=["status", "ward", "priority", "requested_at"])]

    def __str__(self):
        return f"Admission request #{self.pk} ({self.get_status_display().lower()})"


# The queue's order: urgent first, then the longest waiting.
QUEUE_ORDER = (
    models.Case(models.When(priority=AdmissionRequest.Priority.URGENT, then=models.Value(0)), default=models.Value(1)),
    "requested_at",
    "id",
)


class Admission(models.Model):
    class Status(models.TextChoices):
        ADMITTED = "admitted", "Admitted"
        DISCHARGED = "discharged", "Discharged"
        CANCELLED = "cancelled", "Cancelled (made in error)"

    class Disposition(models.TextChoices):
        HOME = "home", "Home"
        FACILITY = "facility", "Another facility"
        AGAINST_ADVICE = "against_advice", "Against medical advice"
        DIED = "died", "Died"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="admissions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="admissions")
    request = models.ForeignKey(
        AdmissionRequest, on_delete=models.PROTECT, related_name="admissions", null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ADMITTED)
    admitted_at = models.DateTimeField(default=timezone.now)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # The clinician's order and what it says; the bed stays occupied until the patient actually leaves.
    discharge_ordered_at = models.DateTimeField(null=True, blank=True)
    discharge_ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    disposition = models.CharField(max_length=16, choices=Disposition.choices, blank=True)
    follow_up = models.TextField(blank=True, help_text="Follow-up instructions for the discharge summary.")
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    cancel_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-admitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["encounter"],
                condition=~Q(status="cancelled"),
                name="one_admission_per_encounter",
                violation_error_message="This encounter is already admitted.",
            ),
            # For the bed assignments' composite foreign key (an assignment's patient is its admission's).
            models.UniqueConstraint(fields=["id", "patient"], name="admission_id_patient"),
            models.CheckConstraint(
                condition=Q(status="admitted", discharged_at__isnull=True, cancelled_at__isnull=True)
                | Q(
                    status="discharged",
                    discharged_at__isnull=False,
                    discharged_at__gte=F("admitted_at"),
                    discharge_ordered_at__isnull=False,
                    cancelled_at__isnull=True,
                )
                | Q(status="cancelled", cancelled_at__isnull=False, discharged_at__isnull=True),
                name="admission_status_matches_times",
            ),
            ExclusionConstraint(
                name="admission_one_at_a_time_per_patient",
                expressions=[
                    ("patient", RangeOperators.EQUAL),
                    (_period("admitted_at", "discharged_at"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status="cancelled"),
                violation_error_message="The patient is already admitted.",
            ),
        ]
        indexes = [models.Index(fields=["status", "admitted_at"]), models.Index(fields=["discharged_at"])]
        permissions = [
            ("transfer_admission", "Can transfer an inpatient to another bed"),
            ("order_discharge", "Can order an inpatient's discharge"),
            ("discharge_admission", "Can discharge an inpatient (the patient leaves the bed)"),
            ("cancel_admission", "Can cancel an admission made in error"),
        ]

    def __str__(self):
        return f"Admission #{self.pk} — {self.patient}"

    @property
    def discharge_ordered(self) -> bool:
        return self.discharge_ordered_at is not None

    @property
    def current_assignment(self) -> "BedAssignment | None":
        """The bed they are in now (from the prefetched history, inpatient.queries.admissions)."""
        return next((a for a in self.assignments.all() if a.ended_at is None and not a.cancelled), None)


class BedAssignment(models.Model):
    """One patient in one bed from `started_at` until `ended_at` (open while they are there). A transfer
    ends one and starts the next, so an admission's assignments are its bed history."""

    class Reason(models.TextChoices):
        ADMISSION = "admission", "Admission"
        TRANSFER = "transfer", "Transfer"

    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, related_name="assignments")
    # The admission's patient (a composite foreign key in the migration keeps them equal): what the
    # one-bed-per-patient constraint compares.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="assignments")
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.ADMISSION)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Part of an admission cancelled as made in error: kept for the record, held by no constraint.
    cancelled = models.BooleanField(default=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")), name="assignment_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["admission"],
                condition=Q(ended_at__isnull=True, cancelled=False),
                name="one_open_assignment_per_admission",
            ),
            ExclusionConstraint(
                name="bed_holds_one_patient_at_a_time",
                expressions=[
                    ("bed", RangeOperators.EQUAL),
                    (_period("started_at", "ended_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(cancelled=False),
                violation_error_message="This bed is occupied.",
            ),
            ExclusionConstraint(
                name="patient_in_one_bed_at_a_time",
                expressions=[
                    ("patient", RangeOperators.EQUAL),
                    (_period("started_at", "ended_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(cancelled=False),
                violation_error_message="The patient is already in another bed.",
            ),
        ]
        indexes = [models.Index(fields=["bed", "-started_at"]), models.Index(fields=["started_at"])]

    def __str__(self):
        return f"{self.bed} from {self.started_at:%Y-%m-%d %H:%M}"


class BedDayCharge(models.Model):
    """One occupied midnight of an admission, charged once: `night` is the date before that midnight."""

    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, related_name="bed_day_charges")
    assignment = models.ForeignKey(BedAssignment, on_delete=models.PROTECT, related_name="+")
    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="+")
    ward = models.ForeignKey(Ward, on_delete=models.PROTECT, related_name="+")
    night = models.DateField()
    unit_price = money()
    # The invoice line that bills it (none when the ward's price is zero).
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    charged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["night", "id"]
        constraints = [
            models.UniqueConstraint(fields=["admission", "night"], name="one_bed_day_charge_per_night"),
            models.UniqueConstraint(fields=["bed", "night"], name="one_bed_day_charge_per_bed_night"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="bed_day_price_not_negative"),
        ]
        indexes = [models.Index(fields=["night"])]

    def __str__(self):
        return f"Bed-day {self.night} — {self.bed}"
