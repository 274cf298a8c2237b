"""Scheduling queries: one function per question; they read where the router sends them.

The department's queue board is a projection (reports/projections/queue_board.py, read through
reports.queries): the pages and API here read the write model for working lists (a clinician's queue, the
front desk's day), where the user must see their own writes at once (read-your-writes)."""

import datetime

from django.contrib.auth.models import User
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from clinical.models import Department
from scheduling.common import PRIORITY_RANK, day_start, local_day, waiting_for
from scheduling.models import ACTIVE, LIVE, Appointment, AppointmentEvent, QueueEntry, Schedule, ScheduleException, Slot

UPCOMING = 10


def today() -> datetime.date:
    return local_day(timezone.now())


def schedules() -> QuerySet[Schedule]:
    return Schedule.objects.select_related("department", "provider").prefetch_related("rules")


def exceptions() -> QuerySet[ScheduleException]:
    return ScheduleException.objects.select_related("department", "provider")


def slots() -> QuerySet[Slot]:
    return Slot.objects.select_related("department", "provider")


SLOT_LIST_FIELDS = (
    *("id", "schedule_id", "department_id", "provider_id", "day", "starts_at", "ends_at"),
    *("capacity", "booked", "blocked", "blocked_reason", "department__name", "department__code"),
    *("provider__username", "provider__first_name", "provider__last_name"),
)


def free_slots(
    *,
    department_id: int | None = None,
    provider_id: int | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Slot]:
    """Open slots with room, not yet started, by local days (start to end inclusive), earliest first."""
    now = now or timezone.now()
    # A week of a busy department is hundreds of slots: load only what a slot list shows (a user row's
    # password, flags and dates are most of what building one would cost).
    found = slots().filter(blocked=False, booked__lt=F("capacity"), starts_at__gt=now).only(*SLOT_LIST_FIELDS)
    if department_id:
        found = found.filter(department_id=department_id)
    if provider_id:
        found = found.filter(provider_id=provider_id)
    if start:
        found = found.filter(day__gte=start)
    if end:
        found = found.filter(day__lte=end)
    return found.order_by("starts_at", "provider_id", "pk")


def day_slots(*, department_id: int, day: datetime.date) -> QuerySet[Slot]:
    return slots().filter(department_id=department_id, day=day).order_by("starts_at", "provider_id")


def appointments() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("patient", "department", "provider")


def appointment(appointment_id: int) -> Appointment | None:
    return (
        appointments()
        .select_related("queue_entry", "booked_by", "cancelled_by", "no_show_by")
        .filter(pk=appointment_id)
        .first()
    )


def appointment_history(appointment_id: int) -> QuerySet[AppointmentEvent]:
    return AppointmentEvent.objects.filter(appointment_id=appointment_id).select_related("by", "from_slot")


def day_list(*, day: datetime.date, department_id: int | None = None) -> QuerySet[Appointment]:
    """The front desk's day: every appointment of the day (cancelled last), with queue tickets."""
    found = appointments().select_related("queue_entry").filter(day=day)
    if department_id:
        found = found.filter(department_id=department_id)
    return found.order_by("starts_at", "provider__last_name", "pk")


def upcoming_appointments(*, patient_id: int, limit: int = UPCOMING, now=None) -> list[Appointment]:
    """The patient's booked appointments from now on (and one checked in today), soonest first."""
    now = now or timezone.now()
    return list(
        appointments()
        .filter(patient_id=patient_id, status__in=LIVE, ends_at__gte=now)
        .order_by("starts_at", "pk")[:limit]
    )


def patient_appointments(*, patient_id: int) -> QuerySet[Appointment]:
    """Every appointment of the patient, newest first (the history)."""
    return appointments().filter(patient_id=patient_id).order_by("-starts_at", "-pk")


def blocked_bookings(*, department_id: int | None = None) -> QuerySet[Appointment]:
    """Booked appointments whose slot a holiday or leave has closed since: to be rescheduled."""
    found = appointments().select_related("slot").filter(status=Appointment.Status.BOOKED, slot__blocked=True)
    if department_id:
        found = found.filter(department_id=department_id)
    return found.filter(starts_at__gte=day_start(today())).order_by("starts_at")


def queue_entries() -> QuerySet[QueueEntry]:
    return QueueEntry.objects.select_related("patient", "department", "provider", "called_by", "appointment")


def department_queue(*, department_id: int) -> list[QueueEntry]:
    """Everyone in the department's queue now, in the order they will be seen."""
    return list(
        queue_entries()
        .filter(department_id=department_id, status__in=ACTIVE)
        .annotate(rank=PRIORITY_RANK)
        .order_by("status", "rank", "arrived_at", "pk")
    )


def my_queue(*, department_id: int, clinician: User) -> dict:
    """A clinician's landing page: their patients now (called, in consultation), who they may call next,
    and everyone else waiting in the department."""
    mine = list(
        queue_entries()
        .filter(department_id=department_id, called_by=clinician, status__in=("called", "in_consultation"))
        .order_by("called_at")
    )
    callable_ = list(waiting_for(department_id, clinician).select_related("patient", "provider"))
    others = list(
        queue_entries()
        .filter(department_id=department_id, status__in=ACTIVE)
        .exclude(pk__in=[e.pk for e in mine + callable_])
        .annotate(rank=PRIORITY_RANK)
        .order_by("status", "rank", "arrived_at")
    )
    return {"mine": mine, "waiting": callable_, "others": others}


def clinician_departments(clinician: User, day: datetime.date | None = None) -> list[Department]:
    """Departments where the clinician holds a clinic that day (their own first guess for "my queue")."""
    day = day or today()
    ids = Slot.objects.filter(provider=clinician, day=day).values_list("department_id", flat=True)
    return list(Department.objects.filter(Q(pk__in=ids)).order_by("name"))


def providers() -> QuerySet[User]:
    """Staff who hold schedules (for the booking page's and walk-in form's choices)."""
    ids = Schedule.objects.filter(active=True).values_list("provider_id", flat=True)
    return User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username")
