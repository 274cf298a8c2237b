"""Appointments: booking, moving, cancelling, no-shows, notes; and what the database refuses on its own."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from core.errors import Conflict, InvalidInput
from scheduling import commands
from scheduling.models import Appointment, AppointmentEvent, Slot
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.factories.scheduling import book, clinic, free_slots
from tests.support.stack import in_parallel, on_stack


def counted(slot: Slot) -> int:
    slot.refresh_from_db()
    return slot.booked


@pytest.mark.django_db
class TestBooking:
    def test_booking_takes_the_slot_and_copies_its_time(self):
        schedule = clinic()
        slot = free_slots(schedule)[0]
        clerk = UserFactory()

        appointment = book(slot, reason="Follow-up", booked_by=clerk)

        appointment.refresh_from_db()
        assert (appointment.starts_at, appointment.ends_at, appointment.day) == (slot.starts_at, slot.ends_at, slot.day)
        assert (appointment.department_id, appointment.provider_id) == (schedule.department_id, schedule.provider_id)
        assert counted(slot) == 1
        assert list(appointment.events.values_list("kind", "by")) == [("booked", clerk.pk)]

    def test_a_full_slot_is_refused_naming_it_and_nothing_is_written(self):
        slot = free_slots(clinic())[0]
        book(slot)
        with pytest.raises(Conflict) as caught:
            book(slot)
        (message,) = caught.value.errors["slot"]
        assert message.startswith(f"Slot {slot.pk} (") and message.endswith("is fully booked.")
        assert Appointment.objects.filter(slot=slot).count() == 1 and counted(slot) == 1

    def test_a_slot_with_capacity_three_takes_three(self):
        slot = free_slots(clinic(capacity=3))[0]
        for _ in range(3):
            book(slot)
        with pytest.raises(Conflict):
            book(slot)
        assert counted(slot) == 3

    def test_a_patient_cannot_be_in_two_overlapping_appointments(self):
        patient = PatientFactory()
        first, second = clinic(), clinic()
        slot = free_slots(first)[0]
        book(slot, patient=patient)
        overlapping = free_slots(second).get(starts_at=slot.starts_at)
        with pytest.raises(Conflict) as caught:
            book(overlapping, patient=patient)
        assert "patient" in caught.value.errors
        assert counted(overlapping) == 0

    def test_a_started_slot_cannot_be_booked(self):
        slot = free_slots(clinic())[0]
        with time_machine.travel(slot.starts_at + datetime.timedelta(minutes=1), tick=False), pytest.raises(Conflict):
            book(slot)

    def test_unknown_patient_or_slot_is_a_400_on_that_field(self):
        slot = free_slots(clinic())[0]
        with pytest.raises(InvalidInput) as caught:
            commands.appointment_book(patient_id=999999, slot_id=slot.pk)
        assert "patient" in caught.value.errors
        with pytest.raises(InvalidInput) as caught:
            commands.appointment_book(patient_id=PatientFactory().pk, slot_id=999999)
        assert "slot" in caught.value.errors


@pytest.mark.django_db
class TestChanges:
    def test_reschedule_moves_the_booking_and_both_counters(self):
        slots = free_slots(clinic())
        old, new = slots[0], slots[5]
        appointment = book(old)

        moved = commands.appointment_reschedule(appointment_id=appointment.pk, slot_id=new.pk, reason="Asked")

        moved.refresh_from_db()
        assert moved.slot_id == new.pk and moved.starts_at == new.starts_at
        assert (counted(old), counted(new)) == (0, 1)
        event = moved.events.get(kind="rescheduled")
        assert event.from_slot_id == old.pk and "Asked" in event.detail

    def test_reschedule_into_a_full_slot_leaves_the_booking_where_it_was(self):
        slots = free_slots(clinic())
        appointment, other = book(slots[0]), book(slots[1])
        with pytest.raises(Conflict):
            commands.appointment_reschedule(appointment_id=appointment.pk, slot_id=other.slot_id)
        appointment.refresh_from_db()
        assert appointment.slot_id == slots[0].pk and (counted(slots[0]), counted(slots[1])) == (1, 1)

    def test_cancel_needs_a_reason_and_frees_the_slot(self):
        slot = free_slots(clinic())[0]
        appointment = book(slot)
        with pytest.raises(InvalidInput):
            commands.appointment_cancel(appointment_id=appointment.pk, reason=" ")
        assert counted(slot) == 1

        commands.appointment_cancel(appointment_id=appointment.pk, reason="Feeling better")

        appointment.refresh_from_db()
        assert appointment.status == "cancelled" and appointment.cancel_reason == "Feeling better"
        assert counted(slot) == 0
        book(slot)  # free again
        with pytest.raises(Conflict):
            commands.appointment_cancel(appointment_id=appointment.pk, reason="again")

    def test_staff_mark_a_no_show_only_once_the_slot_has_started(self):
        slot = free_slots(clinic())[0]
        appointment, nurse = book(slot), UserFactory()
        with pytest.raises(Conflict):
            commands.appointment_mark_no_show(appointment_id=appointment.pk, by=nurse)
        with time_machine.travel(slot.starts_at + datetime.timedelta(minutes=10), tick=False):
            commands.appointment_mark_no_show(appointment_id=appointment.pk, by=nurse)
        appointment.refresh_from_db()
        assert (appointment.status, appointment.no_show_by_id) == ("no_show", nurse.pk)
        assert counted(slot) == 1  # a wasted slot still counts as used

    def test_the_task_marks_no_shows_after_the_grace_period_and_only_those(self, settings):
        settings.SCHEDULING_NO_SHOW_GRACE_MINUTES = 30
        slots = free_slots(clinic())
        missed, later, cancelled = book(slots[0]), book(slots[4]), book(slots[1])
        commands.appointment_cancel(appointment_id=cancelled.pk, reason="x")

        with time_machine.travel(slots[0].ends_at + datetime.timedelta(minutes=31), tick=False):
            assert commands.appointments_mark_no_shows() == 1
            assert commands.appointments_mark_no_shows() == 0  # idempotent

        statuses = dict(Appointment.objects.values_list("pk", "status"))
        assert statuses == {missed.pk: "no_show", later.pk: "booked", cancelled.pk: "cancelled"}
        assert Appointment.objects.get(pk=missed.pk).no_show_by is None

    def test_notes_are_kept_in_the_history(self):
        appointment = book(free_slots(clinic())[0], notes="Needs an interpreter")
        commands.appointment_add_note(appointment_id=appointment.pk, text="Called to confirm")
        assert appointment.notes == "Needs an interpreter"
        assert list(appointment.events.values_list("kind", "detail")) == [
            ("booked", AppointmentEvent.objects.get(kind="booked").detail),
            ("note", "Called to confirm"),
        ]


@pytest.mark.django_db
class TestTheDatabaseItself:
    """Writes that go around the commands (a bug, a script) meet the same rules in the database."""

    def test_a_raw_insert_beyond_capacity_is_refused(self):
        slot = free_slots(clinic())[0]
        book(slot)
        with pytest.raises(IntegrityError, match="slot_booked_within_capacity"), transaction.atomic():
            Appointment.objects.create(patient=PatientFactory(), slot=slot, **_copied(slot))

    def test_the_database_copies_the_slots_time_whatever_it_is_given(self):
        slot = free_slots(clinic())[0]
        wrong = {**_copied(slot), "starts_at": slot.starts_at + datetime.timedelta(days=30)}
        appointment = Appointment.objects.create(patient=PatientFactory(), slot=slot, **wrong)
        appointment.refresh_from_db()
        assert appointment.starts_at == slot.starts_at and counted(slot) == 1

    def test_overlapping_live_appointments_of_one_patient_are_refused(self):
        patient = PatientFactory()
        a, b = free_slots(clinic())[0], free_slots(clinic())[0]
        Appointment.objects.create(patient=patient, slot=a, **_copied(a))
        with pytest.raises(IntegrityError, match="appointment_patient_no_overlap"), transaction.atomic():
            Appointment.objects.create(patient=patient, slot=b, **_copied(b))

    def test_a_blocked_slot_takes_no_new_booking(self):
        slot = free_slots(clinic())[0]
        Slot.objects.filter(pk=slot.pk).update(blocked=True, blocked_reason="Leave")
        with pytest.raises(IntegrityError, match="is blocked") as caught, transaction.atomic():
            Appointment.objects.create(patient=PatientFactory(), slot=slot, **_copied(slot))
        assert caught.value.__cause__.diag.constraint_name == "appointment_slot_not_blocked"


def _copied(slot: Slot) -> dict:
    return {
        "department_id": slot.department_id,
        "provider_id": slot.provider_id,
        "day": slot.day,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
    }


@on_stack
def test_twenty_parallel_raw_inserts_into_one_slot_leave_exactly_one():
    """The database alone (no command, no lock taken first): 20 connections insert into a one-place slot."""
    slot = free_slots(clinic())[0]
    patients = [PatientFactory() for _ in range(20)]

    results = in_parallel(
        20, lambda i: Appointment.objects.create(patient=patients[i], slot_id=slot.pk, **_copied(slot)).pk
    )

    made = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, IntegrityError)]
    assert len(made) == 1 and len(refused) == 19, results
    assert all("slot_booked_within_capacity" in str(r) for r in refused)
    assert Appointment.objects.filter(slot=slot).count() == 1 and counted(slot) == 1


@on_stack
def test_one_patient_booked_into_ten_overlapping_slots_at_once_gets_one():
    patient = PatientFactory()
    slots = [free_slots(clinic())[0] for _ in range(10)]  # ten clinics, same time

    results = in_parallel(10, lambda i: book(slots[i], patient=patient).pk)

    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, Conflict) and "patient" in r.errors for r in results if not isinstance(r, int))
    assert Appointment.objects.filter(patient=patient).count() == 1
    assert sum(counted(s) for s in slots) == 1


@on_stack
def test_moves_and_bookings_racing_for_one_slot_never_overfill_it():
    slots = list(free_slots(clinic(capacity=2))[:4])
    target = slots[3]
    movers = [book(slots[i]) for i in range(3)] + [book(slots[i]) for i in range(3)]  # six to move

    def race(i):
        if i < 6:
            return commands.appointment_reschedule(appointment_id=movers[i].pk, slot_id=target.pk).pk
        return book(target).pk

    results = in_parallel(10, race)

    assert sum(isinstance(r, int) for r in results) == 2, results
    assert counted(target) == 2 == Appointment.objects.filter(slot=target).exclude(status="cancelled").count()
    for slot in slots:
        assert counted(slot) == Appointment.objects.filter(slot=slot).exclude(status="cancelled").count()
