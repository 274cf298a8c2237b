"""Appointments: book, reschedule, cancel, no-show (by staff, or by the task once the slot is over), notes.

Booking locks the slot row first, so concurrent bookings of one slot queue behind each other and each
sees the count the previous one left; the database refuses anything that slips past that anyway (the
trigger-kept `booked` counter under `CHECK (booked <= capacity)`, the patient-overlap exclusion
constraint), and those refusals are turned into the same 409s naming the slot. A move locks the
appointment, then both slots in id order (never a deadlock with another move or a booking).
"""

import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinical.models import Patient
from core.commands import get_locked, get_or_invalid, lock_or_invalid
from core.errors import Conflict, InvalidInput
from scheduling.common import who
from scheduling.models import LIVE, Appointment, AppointmentEvent, Slot

SLOT_FIELDS = ("slot", "department", "provider", "day", "starts_at", "ends_at")


def slot_label(slot: Slot) -> str:
    return f"Slot {slot.pk} ({timezone.localtime(slot.starts_at):%Y-%m-%d %H:%M}, {who(slot.provider)})"


def _full(slot: Slot) -> Conflict:
    return Conflict(f"{slot_label(slot)} is fully booked.", field="slot")


def _check_bookable(slot: Slot, now: datetime.datetime) -> None:
    if slot.starts_at <= now:
        raise Conflict(f"{slot_label(slot)} has already started; choose a later one.", field="slot")
    if slot.blocked:
        raise Conflict(f"{slot_label(slot)} is closed ({slot.blocked_reason}).", field="slot")
    if slot.booked >= slot.capacity:
        raise _full(slot)


def _check_patient_free(patient: Patient, slot: Slot, *, besides: int | None = None) -> None:
    clash = (
        Appointment.objects.filter(
            patient=patient, status__in=LIVE, starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at
        )
        .exclude(pk=besides)
        .select_related("provider")
        .first()
    )
    if clash:
        raise Conflict(
            f"{patient} already has an appointment at {timezone.localtime(clash.starts_at):%Y-%m-%d %H:%M} "
            f"with {who(clash.provider)}.",
            field="patient",
        )


def _constraint(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def _save(appointment: Appointment, slot: Slot, **kwargs) -> None:
    """Save in a savepoint; the database's refusals become the same answers the checks give."""
    try:
        with transaction.atomic(using="default"):
            appointment.save(using="default", **kwargs)
    except IntegrityError as exc:
        name = _constraint(exc)
        if name == "slot_booked_within_capacity":
            raise _full(slot) from exc
        if name == "appointment_patient_no_overlap":
            raise Conflict("The patient already has an appointment at this time.", field="patient") from exc
        if name == "appointment_slot_not_blocked":
            raise Conflict(f"{slot_label(slot)} is closed.", field="slot") from exc
        raise


def _take_slot(appointment: Appointment, slot: Slot) -> None:
    appointment.slot = slot
    appointment.department_id, appointment.provider_id = slot.department_id, slot.provider_id
    appointment.day, appointment.starts_at, appointment.ends_at = slot.day, slot.starts_at, slot.ends_at


def _event(appointment: Appointment, kind: str, by: User | None, detail: str = "", **extra) -> AppointmentEvent:
    return AppointmentEvent.objects.create(appointment=appointment, kind=kind, by=by, detail=detail[:300], **extra)


@transaction.atomic(using="default")
def appointment_book(
    *,
    patient_id: int,
    slot_id: int,
    reason: str = "",
    notes: str = "",
    booked_by: User | None = None,
    via: str = Appointment.Via.DESK,
    now: datetime.datetime | None = None,
) -> Appointment:
    now = now or timezone.now()
    patient = get_or_invalid(Patient, patient_id, field="patient")
    slot = lock_or_invalid(Slot, slot_id, field="slot")  # concurrent bookings of this slot queue here
    _check_bookable(slot, now)
    _check_patient_free(patient, slot)
    appointment = Appointment(
        patient=patient, reason=reason.strip(), notes=notes.strip(), booked_via=via, booked_by=booked_by, booked_at=now
    )
    _take_slot(appointment, slot)
    _save(appointment, slot)
    _event(appointment, AppointmentEvent.Kind.BOOKED, booked_by, f"Booked into {slot_label(slot)}")
    return appointment


def _booked(appointment_id: int, action: str) -> Appointment:
    appointment = get_locked(Appointment, appointment_id)
    if appointment.status != Appointment.Status.BOOKED:
        raise Conflict(
            f"Appointment {appointment.pk} is {appointment.get_status_display().lower()}; it cannot be {action}."
        )
    return appointment


@transaction.atomic(using="default")
def appointment_reschedule(
    *, appointment_id: int, slot_id: int, by: User | None = None, reason: str = "", now=None
) -> Appointment:
    now = now or timezone.now()
    appointment = _booked(appointment_id, "rescheduled")
    if str(slot_id) == str(appointment.slot_id):
        raise InvalidInput("That is the appointment's slot already; choose another.", field="slot")
    slots = {
        s.pk: s for s in Slot.objects.select_for_update().filter(pk__in=[appointment.slot_id, slot_id]).order_by("pk")
    }
    old, new = slots[appointment.slot_id], slots.get(int(slot_id)) if str(slot_id).isdigit() else None
    if new is None:
        raise InvalidInput(f"Slot {slot_id} does not exist.", field="slot")
    _check_bookable(new, now)
    _check_patient_free(appointment.patient, new, besides=appointment.pk)
    _take_slot(appointment, new)
    _save(appointment, new, update_fields=list(SLOT_FIELDS))
    detail = f"From {slot_label(old)} to {slot_label(new)}" + (f": {reason.strip()}" if reason.strip() else "")
    _event(appointment, AppointmentEvent.Kind.RESCHEDULED, by, detail, from_slot=old)
    return appointment


@transaction.atomic(using="default")
def appointment_cancel(*, appointment_id: int, reason: str, by: User | None = None, now=None) -> Appointment:
    """Cancel with a reason (patient asked, clinic cancelled, ...): the slot is free again at once."""
    if not (reason or "").strip():
        raise InvalidInput("Say why the appointment is cancelled.", field="reason")
    appointment = _booked(appointment_id, "cancelled")
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at, appointment.cancelled_by = now or timezone.now(), by
    appointment.cancel_reason = reason.strip()[:200]
    appointment.save(using="default", update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    _event(appointment, AppointmentEvent.Kind.CANCELLED, by, appointment.cancel_reason)
    return appointment


def _no_show(appointment: Appointment, by: User | None, now: datetime.datetime) -> None:
    appointment.status, appointment.no_show_at, appointment.no_show_by = Appointment.Status.NO_SHOW, now, by
    appointment.save(using="default", update_fields=["status", "no_show_at", "no_show_by"])
    _event(appointment, AppointmentEvent.Kind.NO_SHOW, by, "Marked by staff" if by else "Not checked in by the end")


@transaction.atomic(using="default")
def appointment_mark_no_show(*, appointment_id: int, by: User | None = None, now=None) -> Appointment:
    now = now or timezone.now()
    appointment = _booked(appointment_id, "marked a no-show")
    if appointment.starts_at > now:
        raise Conflict("The appointment has not started yet; cancel it instead if the patient will not come.")
    _no_show(appointment, by, now)
    return appointment


def appointments_mark_no_shows(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Mark a no-show every booked appointment whose slot ended more than the grace period ago and that
    nobody checked in (the task, every few minutes). Rows being checked in right now are skipped (they are
    locked) and, if still booked, taken next time. Idempotent."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.SCHEDULING_NO_SHOW_GRACE_MINUTES)
    marked = 0
    while True:
        with transaction.atomic(using="default"):
            due = list(
                Appointment.objects.select_for_update(skip_locked=True)
                .filter(status=Appointment.Status.BOOKED, ends_at__lt=cutoff)
                .order_by("ends_at", "pk")[:batch]
            )
            for appointment in due:
                _no_show(appointment, None, now)
        marked += len(due)
        if len(due) < batch:
            return marked


@transaction.atomic(using="default")
def appointment_add_note(*, appointment_id: int, text: str, by: User | None = None) -> AppointmentEvent:
    if not (text or "").strip():
        raise InvalidInput("Write the note.", field="text")
    appointment = get_locked(Appointment, appointment_id)
    return _event(appointment, AppointmentEvent.Kind.NOTE, by, text.strip())
