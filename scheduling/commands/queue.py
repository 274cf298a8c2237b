"""Check-in and the department queue.

Check-in (an appointment, or a walk-in) opens the encounter through clinical's command and puts the
patient in the department's queue with a ticket number, in one transaction: both or neither. The queue
runs waiting -> called -> in consultation -> done, or left without being seen; emergency patients come
first, then the elderly, then everyone else, each in order of arrival.

"Call next" takes the first waiting patient with `FOR UPDATE SKIP LOCKED`: two clinicians calling at the
same moment get two different patients, never the same one twice, and neither waits for the other.
"""

import contextlib
import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connections, transaction
from django.db.models import Count
from django.utils import timezone

from clinical import commands as clinical
from clinical.models import Department, Encounter, Patient
from clinical.queries import clinicians
from core.commands import get_locked, get_or_invalid, lock_or_invalid
from core.errors import Conflict, InvalidInput
from scheduling.commands.appointments import _event
from scheduling.common import local_day, waiting_for, who
from scheduling.models import ACTIVE, Appointment, AppointmentEvent, QueueEntry, Slot

Status, Priority = QueueEntry.Status, QueueEntry.Priority


def age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def default_priority(patient: Patient, day: datetime.date) -> str:
    return (
        Priority.ELDERLY if age_on(patient.date_of_birth, day) >= settings.SCHEDULING_ELDERLY_AGE else Priority.NORMAL
    )


def _priority(priority: str | None, patient: Patient, day: datetime.date) -> str:
    if not priority:
        return default_priority(patient, day)
    if priority not in Priority.values:
        raise InvalidInput(f"Choose a priority: {', '.join(Priority.values)}.", field="priority")
    return priority


def _next_ticket(department_id: int, day: datetime.date) -> int:
    """Tickets count up per department and day; a transaction-scoped advisory lock serializes the draw
    (the unique constraint on department, day and ticket backs it)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"scheduling.ticket.{department_id}.{day}"])
        cursor.execute(
            "SELECT COALESCE(max(ticket), 0) + 1 FROM scheduling_queueentry WHERE department_id = %s AND day = %s",
            [department_id, day],
        )
        return cursor.fetchone()[0]


def _already_queued(patient: Patient) -> None:
    entry = QueueEntry.objects.filter(patient=patient, status__in=ACTIVE).select_related("department").first()
    if entry:
        raise Conflict(
            f"{patient} is already in the {entry.department} queue (ticket {entry.ticket_label}, "
            f"{entry.get_status_display().lower()}).",
            field="patient",
        )


def _enqueue(
    *, patient: Patient, department_id: int, encounter: Encounter, appointment, provider_id, priority, now
) -> QueueEntry:
    day = local_day(now)
    entry = QueueEntry(
        department_id=department_id,
        patient=patient,
        encounter=encounter,
        appointment=appointment,
        provider_id=provider_id,
        day=day,
        ticket=_next_ticket(department_id, day),
        priority=priority,
        arrived_at=now,
    )
    try:
        with transaction.atomic(using="default"):
            entry.save(using="default")
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") == "patient_in_one_queue_at_a_time":
            raise Conflict(f"{patient} is already in a queue.", field="patient") from exc
        raise
    return entry


@transaction.atomic(using="default")
def appointment_check_in(
    *, appointment_id: int, checked_in_by: User | None = None, priority: str | None = None, now=None
) -> QueueEntry:
    """The patient has arrived for their appointment (on its day): encounter + queue entry. A patient the
    task marked a no-show who turns up late the same day is checked in all the same."""
    now = now or timezone.now()
    appointment = get_locked(Appointment, appointment_id)
    if appointment.status == Appointment.Status.CHECKED_IN:
        raise Conflict(f"Appointment {appointment.pk} is already checked in.")
    if appointment.status == Appointment.Status.CANCELLED:
        raise Conflict(f"Appointment {appointment.pk} was cancelled; book again or check in as a walk-in.")
    if appointment.day != local_day(now):
        raise Conflict(
            f"Appointment {appointment.pk} is on {appointment.day:%Y-%m-%d}; check in on the day, or as a walk-in."
        )
    patient = appointment.patient
    _already_queued(patient)
    was_no_show = appointment.status == Appointment.Status.NO_SHOW
    encounter = clinical.encounter_start(
        patient_id=patient.pk,
        type=Encounter.Type.OUTPATIENT,
        department_id=appointment.department_id,
        attending_id=appointment.provider_id,
        started_at=now,
        reason=appointment.reason or "Appointment",
    )
    entry = _enqueue(
        patient=patient,
        department_id=appointment.department_id,
        encounter=encounter,
        appointment=appointment,
        provider_id=appointment.provider_id,
        priority=_priority(priority, patient, local_day(now)),
        now=now,
    )
    appointment.status, appointment.checked_in_at = Appointment.Status.CHECKED_IN, now
    appointment.no_show_at = appointment.no_show_by = None
    appointment.save(using="default", update_fields=["status", "checked_in_at", "no_show_at", "no_show_by"])
    detail = f"Ticket {entry.ticket_label}" + (" (arrived after being marked a no-show)" if was_no_show else "")
    _event(appointment, AppointmentEvent.Kind.CHECKED_IN, checked_in_by, detail)
    return entry


def on_duty(department_id: int, day: datetime.date) -> User | None:
    """The clinician with a clinic in the department that day who has the fewest patients waiting."""
    providers = list(
        Slot.objects.filter(department_id=department_id, day=day).values_list("provider_id", flat=True).distinct()
    )
    if not providers:
        return None
    waiting = dict(
        QueueEntry.objects.filter(department_id=department_id, status__in=ACTIVE, provider_id__in=providers)
        .values_list("provider_id")
        .annotate(n=Count("pk"))
    )
    return User.objects.get(pk=min(providers, key=lambda pk: (waiting.get(pk, 0), pk)))


@transaction.atomic(using="default")
def walk_in_check_in(
    *,
    patient_id: int,
    department_id: int,
    provider_id: int | None = None,
    priority: str | None = None,
    reason: str = "",
    checked_in_by: User | None = None,
    now=None,
) -> QueueEntry:
    """A patient without an appointment: encounter + queue entry. Without a chosen clinician the patient
    waits for the first one free; the encounter's attending is then the clinician on duty with the
    shortest queue until someone calls the patient (the caller becomes the attending)."""
    now = now or timezone.now()
    patient = lock_or_invalid(Patient, patient_id, field="patient")  # two desks checking one patient in: one wins
    department = get_or_invalid(Department, department_id, field="department")
    _already_queued(patient)
    day = local_day(now)
    priority = _priority(priority, patient, day)
    provider = get_or_invalid(User, provider_id, field="provider", label="User") if provider_id else None
    attending = provider or on_duty(department.pk, day)
    if attending is None:
        raise InvalidInput(f"No clinician has a clinic in {department} today; choose one.", field="provider")
    encounter = clinical.encounter_start(
        patient_id=patient.pk,
        type=Encounter.Type.EMERGENCY if priority == Priority.EMERGENCY else Encounter.Type.OUTPATIENT,
        department_id=department.pk,
        attending_id=attending.pk,
        started_at=now,
        reason=reason.strip() or "Walk-in",
    )
    return _enqueue(
        patient=patient,
        department_id=department.pk,
        encounter=encounter,
        appointment=None,
        provider_id=provider.pk if provider else None,
        priority=priority,
        now=now,
    )


def _call(entry: QueueEntry, called_by: User, room: str, now) -> QueueEntry:
    entry.status, entry.called_at, entry.called_by, entry.room = Status.CALLED, now, called_by, room.strip()[:20]
    entry.save(using="default", update_fields=["status", "called_at", "called_by", "room"])
    encounter = entry.encounter
    if (
        entry.provider_id is None
        and encounter.attending_id != called_by.pk
        and encounter.status == Encounter.Status.OPEN
        and clinicians().filter(pk=called_by.pk).exists()  # an integrator's service account never attends
    ):
        clinical.encounter_update(encounter_id=encounter.pk, attending_id=called_by.pk)
    return entry


@transaction.atomic(using="default")
def queue_call_next(*, department_id: int, called_by: User, room: str = "", now=None) -> QueueEntry:
    """The next patient for this clinician (see the module's docstring: never the same patient twice)."""
    department = get_or_invalid(Department, department_id, field="department")
    entry = waiting_for(department.pk, called_by).select_for_update(skip_locked=True, of=("self",)).first()
    if entry is None:
        raise Conflict(f"Nobody is waiting for you in {department}.", field="department")
    return _call(entry, called_by, room, now or timezone.now())


def _entry(entry_id: int, allowed: tuple[str, ...], action: str) -> QueueEntry:
    entry = get_locked(QueueEntry, entry_id, label="Queue entry")
    if entry.status not in allowed:
        by = f" by {who(entry.called_by)}" if entry.called_by_id and entry.status != Status.WAITING else ""
        raise Conflict(
            f"Ticket {entry.ticket_label} is {entry.get_status_display().lower()}{by}; it cannot be {action}."
        )
    return entry


@transaction.atomic(using="default")
def queue_call(*, entry_id: int, called_by: User, room: str = "", now=None) -> QueueEntry:
    """Call one particular waiting patient (out of turn)."""
    return _call(_entry(entry_id, (Status.WAITING,), "called"), called_by, room, now or timezone.now())


@transaction.atomic(using="default")
def queue_start(*, entry_id: int, by: User, now=None) -> QueueEntry:
    """The consultation begins (the wait ends here)."""
    now = now or timezone.now()
    entry = _entry(entry_id, (Status.WAITING, Status.CALLED), "seen now")
    if entry.status == Status.WAITING:  # seen straight away, without being called out
        _call(entry, by, "", now)
    entry.status, entry.consultation_started_at = Status.IN_CONSULTATION, now
    entry.save(using="default", update_fields=["status", "consultation_started_at"])
    return entry


def _close_encounter(entry: QueueEntry, now) -> None:
    if Encounter.objects.filter(pk=entry.encounter_id, status=Encounter.Status.OPEN).exists():
        clinical.encounter_close(encounter_id=entry.encounter_id, ended_at=max(now, entry.encounter.started_at))


@transaction.atomic(using="default")
def queue_finish(*, entry_id: int, by: User | None = None, close_encounter: bool = True, now=None) -> QueueEntry:
    """The consultation is over; the visit's encounter is closed with it unless asked not to (a patient
    sent on for tests stays open)."""
    now = now or timezone.now()
    entry = _entry(entry_id, (Status.IN_CONSULTATION,), "finished")
    entry.status, entry.finished_at = Status.DONE, now
    entry.save(using="default", update_fields=["status", "finished_at"])
    if close_encounter:
        _close_encounter(entry, now)
    return entry


@transaction.atomic(using="default")
def queue_leave(*, entry_id: int, by: User | None = None, note: str = "", now=None) -> QueueEntry:
    """The patient left without being seen: out of the queue, the encounter closed."""
    now = now or timezone.now()
    entry = _entry(entry_id, (Status.WAITING, Status.CALLED), "marked as left")
    entry.status, entry.finished_at, entry.note = Status.LEFT, now, note.strip()[:200]
    entry.save(using="default", update_fields=["status", "finished_at", "note"])
    _close_encounter(entry, now)
    return entry


@transaction.atomic(using="default")
def queue_requeue(*, entry_id: int, by: User | None = None) -> QueueEntry:
    """A called patient did not come: back to waiting, in their place by arrival."""
    entry = _entry(entry_id, (Status.CALLED,), "put back in the queue")
    entry.status, entry.room = Status.WAITING, ""
    entry.save(using="default", update_fields=["status", "room"])
    return entry


@transaction.atomic(using="default")
def queue_set_priority(*, entry_id: int, priority: str, by: User | None = None) -> QueueEntry:
    """Triage: a nurse moves a waiting patient up (emergency) or back (normal)."""
    entry = _entry(entry_id, (Status.WAITING, Status.CALLED), "re-prioritised")
    entry.priority = _priority(priority, entry.patient, entry.day)
    entry.save(using="default", update_fields=["priority"])
    return entry


def queues_close_day(*, now=None) -> int:
    """Just after midnight: whoever is still in a queue from an earlier day is taken out of it (the waiting
    and the called as having left, a consultation left open as done), so that boards start the day empty
    and the patients can be checked in again. One transaction per entry; idempotent."""
    now = now or timezone.now()
    stale = list(
        QueueEntry.objects.filter(status__in=ACTIVE, day__lt=local_day(now)).order_by("pk").values_list("pk", "status")
    )
    for pk, status in stale:
        with contextlib.suppress(Conflict):  # moved on meanwhile
            if status == Status.IN_CONSULTATION:
                queue_finish(entry_id=pk, now=now)
            else:
                queue_leave(entry_id=pk, note="Still in the queue when the day ended", now=now)
    return len(stale)
