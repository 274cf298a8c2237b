"""Check-in and the department queue: one encounter and one entry per check-in, priorities, call next."""

import datetime

import pytest
import time_machine

from clinical.models import Encounter
from core.errors import Conflict, InvalidInput
from scheduling import commands
from scheduling.models import Appointment, QueueEntry
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.factories.scheduling import book, clinic, free_slots
from tests.support.stack import in_parallel, on_stack


@pytest.fixture
def morning():
    """Frozen at 08:00 on a weekday, before a 09:00-12:00 clinic."""
    with time_machine.travel(datetime.datetime(2027, 6, 8, 8, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.mark.django_db
class TestCheckIn:
    def test_check_in_opens_one_encounter_and_one_queue_entry(self, morning):
        schedule = clinic()
        appointment = book(free_slots(schedule)[0], reason="Knee pain")
        clerk = UserFactory()

        entry = commands.appointment_check_in(appointment_id=appointment.pk, checked_in_by=clerk)

        assert QueueEntry.objects.count() == 1 and Encounter.objects.count() == 1
        encounter = entry.encounter
        assert (encounter.patient_id, encounter.department_id, encounter.attending_id, encounter.reason) == (
            appointment.patient_id,
            schedule.department_id,
            schedule.provider_id,
            "Knee pain",
        )
        assert (entry.status, entry.ticket, entry.provider_id, entry.priority) == (
            "waiting",
            1,
            schedule.provider_id,
            "normal",
        )
        appointment.refresh_from_db()
        assert appointment.status == "checked_in" and appointment.checked_in_at is not None

    def test_a_second_check_in_is_refused_and_writes_nothing(self, morning):
        appointment = book(free_slots(clinic())[0])
        commands.appointment_check_in(appointment_id=appointment.pk)
        with pytest.raises(Conflict):
            commands.appointment_check_in(appointment_id=appointment.pk)
        assert QueueEntry.objects.count() == 1 and Encounter.objects.count() == 1

    def test_check_in_only_on_the_appointments_day(self, morning):
        schedule = clinic()
        tomorrow = free_slots(schedule).exclude(day=free_slots(schedule)[0].day)[0]
        appointment = book(tomorrow)
        with pytest.raises(Conflict, match="check in on the day"):
            commands.appointment_check_in(appointment_id=appointment.pk)
        assert not QueueEntry.objects.exists() and not Encounter.objects.exists()

    def test_a_late_patient_marked_no_show_is_checked_in_the_same_day(self, settings):
        settings.SCHEDULING_NO_SHOW_GRACE_MINUTES = 0
        with time_machine.travel(datetime.datetime(2027, 6, 8, 8, 0, tzinfo=datetime.UTC), tick=False):
            appointment = book(free_slots(clinic())[0])
        with time_machine.travel(datetime.datetime(2027, 6, 8, 11, 0, tzinfo=datetime.UTC), tick=False):
            commands.appointments_mark_no_shows()
            commands.appointment_check_in(appointment_id=appointment.pk)
        appointment.refresh_from_db()
        assert appointment.status == "checked_in" and appointment.no_show_at is None
        assert "after being marked a no-show" in appointment.events.get(kind="checked_in").detail

    def test_elderly_patients_wait_with_elderly_priority_unless_told_otherwise(self, morning):
        old = PatientFactory(date_of_birth=datetime.date(1950, 1, 1))
        schedule = clinic()
        entry = commands.appointment_check_in(appointment_id=book(free_slots(schedule)[0], patient=old).pk)
        assert entry.priority == "elderly"
        young = book(free_slots(schedule)[1])
        assert commands.appointment_check_in(appointment_id=young.pk, priority="emergency").priority == "emergency"

    def test_tickets_count_per_department_and_day(self, morning):
        schedule = clinic()
        slots = free_slots(schedule)
        tickets = [commands.appointment_check_in(appointment_id=book(slots[i]).pk).ticket for i in range(3)]
        assert tickets == [1, 2, 3]
        other = clinic()
        assert commands.appointment_check_in(appointment_id=book(free_slots(other)[0]).pk).ticket == 1

    def test_walk_in_waits_for_anyone_with_the_least_busy_clinician_on_duty_attending(self, morning):
        busy, idle = UserFactory(roles=["clinician"]), UserFactory(roles=["clinician"])
        first = clinic(provider=busy)
        clinic(provider=idle, department=first.department, start=datetime.time(13), end=datetime.time(15))
        commands.appointment_check_in(appointment_id=book(free_slots(first)[0]).pk)

        entry = commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=first.department_id)

        assert entry.provider_id is None and entry.appointment_id is None
        assert entry.encounter.attending_id == idle.pk and entry.encounter.reason == "Walk-in"

    def test_walk_in_with_nobody_on_duty_asks_for_a_clinician(self, morning):
        schedule = clinic(weekdays=(5,))  # Saturdays only
        with pytest.raises(InvalidInput) as caught:
            commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=schedule.department_id)
        assert "provider" in caught.value.errors
        assert not Encounter.objects.exists()

    def test_a_patient_waits_in_one_queue_at_a_time(self, morning):
        patient = PatientFactory()
        schedule = clinic()
        commands.walk_in_check_in(patient_id=patient.pk, department_id=schedule.department_id)
        with pytest.raises(Conflict, match="already in the"):
            commands.walk_in_check_in(patient_id=patient.pk, department_id=schedule.department_id)
        assert QueueEntry.objects.count() == 1 and Encounter.objects.count() == 1


@pytest.mark.django_db
class TestQueue:
    def test_call_next_takes_emergency_then_elderly_then_arrival_order(self, morning):
        schedule = clinic()
        doctor = schedule.provider
        dept = schedule.department_id
        arrivals = []
        for minutes, priority in ((0, "normal"), (1, "elderly"), (2, "normal"), (3, "emergency")):
            with time_machine.travel(datetime.datetime(2027, 6, 8, 8, minutes, tzinfo=datetime.UTC), tick=False):
                arrivals.append(
                    commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=dept, priority=priority)
                )
        called = [commands.queue_call_next(department_id=dept, called_by=doctor).pk for _ in range(4)]
        assert called == [arrivals[3].pk, arrivals[1].pk, arrivals[0].pk, arrivals[2].pk]
        with pytest.raises(Conflict, match="Nobody is waiting"):
            commands.queue_call_next(department_id=dept, called_by=doctor)

    def test_a_clinician_calls_their_own_patients_and_walk_ins_not_a_colleagues(self, morning):
        mine, theirs = clinic(), None
        theirs = clinic(department=mine.department)
        colleague_patient = commands.appointment_check_in(appointment_id=book(free_slots(theirs)[0]).pk)
        walk_in = commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=mine.department_id)

        called = commands.queue_call_next(department_id=mine.department_id, called_by=mine.provider, room="3")

        assert called.pk == walk_in.pk and called.room == "3"
        assert called.encounter.attending_id == mine.provider_id  # the caller is the attending now
        assert QueueEntry.objects.get(pk=colleague_patient.pk).status == "waiting"

    def test_a_visit_runs_waiting_called_consultation_done_and_closes_the_encounter(self, morning):
        schedule = clinic()
        entry = commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=schedule.department_id)
        doctor = schedule.provider
        commands.queue_call(entry_id=entry.pk, called_by=doctor)
        with pytest.raises(Conflict):
            commands.queue_finish(entry_id=entry.pk, by=doctor)  # not in consultation yet
        commands.queue_start(entry_id=entry.pk, by=doctor)
        done = commands.queue_finish(entry_id=entry.pk, by=doctor)
        assert done.status == "done" and done.finished_at and done.consultation_started_at
        assert Encounter.objects.get(pk=entry.encounter_id).status == "closed"

    def test_left_without_being_seen_closes_the_encounter(self, morning):
        schedule = clinic()
        entry = commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=schedule.department_id)
        commands.queue_leave(entry_id=entry.pk, note="Could not wait")
        entry.refresh_from_db()
        assert entry.status == "left" and entry.consultation_started_at is None
        assert Encounter.objects.get(pk=entry.encounter_id).status == "closed"

    def test_a_called_patient_who_does_not_come_goes_back_in_place(self, morning):
        schedule = clinic()
        dept, doctor = schedule.department_id, schedule.provider
        first = commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=dept)
        commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=dept)
        commands.queue_call_next(department_id=dept, called_by=doctor)
        commands.queue_requeue(entry_id=first.pk)
        assert commands.queue_call_next(department_id=dept, called_by=doctor).pk == first.pk

    def test_triage_changes_priority_of_waiting_patients_only(self, morning):
        schedule = clinic()
        entry = commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=schedule.department_id)
        assert commands.queue_set_priority(entry_id=entry.pk, priority="emergency").priority == "emergency"
        with pytest.raises(InvalidInput):
            commands.queue_set_priority(entry_id=entry.pk, priority="vip")
        commands.queue_start(entry_id=entry.pk, by=schedule.provider)
        with pytest.raises(Conflict):
            commands.queue_set_priority(entry_id=entry.pk, priority="normal")


@pytest.mark.django_db
def test_after_midnight_yesterdays_queue_is_emptied_and_todays_left_alone():
    with time_machine.travel(datetime.datetime(2027, 6, 8, 6, 0, tzinfo=datetime.UTC), tick=False):
        schedule = clinic()
    dept, doctor = schedule.department_id, schedule.provider
    with time_machine.travel(datetime.datetime(2027, 6, 8, 15, 0, tzinfo=datetime.UTC), tick=False):
        waiting, seeing = (commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=dept) for _ in "ab")
        commands.queue_start(entry_id=seeing.pk, by=doctor)
    with time_machine.travel(datetime.datetime(2027, 6, 9, 0, 5, tzinfo=datetime.UTC), tick=False):
        today = commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=dept)
        assert commands.queues_close_day() == 2
        assert commands.queues_close_day() == 0
        # the patient who waited in vain can be checked in again today
        again = commands.walk_in_check_in(patient_id=waiting.patient_id, department_id=dept)
    statuses = dict(QueueEntry.objects.values_list("pk", "status"))
    assert statuses == {waiting.pk: "left", seeing.pk: "done", today.pk: "waiting", again.pk: "waiting"}
    assert not Encounter.objects.filter(pk__in=[waiting.encounter_id, seeing.encounter_id], status="open").exists()


@on_stack
def test_parallel_check_ins_of_one_appointment_make_one_encounter_and_one_entry(morning):
    appointment = book(free_slots(clinic())[0])

    results = in_parallel(8, lambda i: commands.appointment_check_in(appointment_id=appointment.pk).pk)

    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int))
    assert QueueEntry.objects.count() == 1 and Encounter.objects.count() == 1
    assert Appointment.objects.get(pk=appointment.pk).status == "checked_in"


@on_stack
def test_clinicians_calling_next_at_once_never_call_the_same_patient_twice(morning):
    schedule = clinic()
    dept = schedule.department_id
    entries = [commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=dept).pk for _ in range(12)]
    doctors = [UserFactory(roles=["clinician"]) for _ in range(16)]

    def call(i):
        return commands.queue_call_next(department_id=dept, called_by=doctors[i]).pk

    results = in_parallel(16, call)

    called = [r for r in results if isinstance(r, int)]
    assert sorted(called) == sorted(entries)  # each patient called exactly once
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int))
    assert QueueEntry.objects.filter(status="called").count() == 12
    assert len(set(QueueEntry.objects.values_list("called_by", flat=True))) == 12
