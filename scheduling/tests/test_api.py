"""The scheduling API: free-slot search, booking (concurrent and retried), the appointment's actions, the
queue's actions, errors per field."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from scheduling.models import Appointment, QueueEntry, Slot
from tests.support.factories.clinical import PatientFactory
from tests.support.factories.scheduling import book, clinic, free_slots
from tests.support.stack import in_parallel, on_stack, wait_replayed

MORNING = datetime.datetime(2027, 6, 8, 8, 0, tzinfo=datetime.UTC)  # a Tuesday, before a 09:00 clinic


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=False):
        yield


@pytest.mark.django_db(databases="__all__")
class TestSlotsAndBooking:
    def test_free_slots_of_a_department_and_day(self, api_as):
        schedule = clinic()
        # A day all ahead of us (today's clinic may be over, or down to its last slot, when this runs).
        day = free_slots(schedule).exclude(day=timezone.localdate())[0].day
        taken = book(free_slots(schedule, day=day)[0])
        desk = api_as("front_desk")

        found = desk.get("/api/v1/slots/", {"department": schedule.department_id, "date": day, "free": "true"})

        assert found.status_code == 200
        ids = [s["id"] for s in found.json()["results"]]
        assert taken.slot_id not in ids and len(ids) == Slot.objects.filter(schedule=schedule, day=day).count() - 1
        assert found.json()["results"][0]["free"] == 1

    def test_bad_filters_are_400_on_their_field(self, api_as):
        desk = api_as("front_desk")
        assert desk.get("/api/v1/slots/", {"date": "next tuesday"}).json() == {
            "errors": {"date": ["A date as YYYY-MM-DD."]}
        }
        too_long = desk.get("/api/v1/slots/", {"start": "2027-01-01", "end": "2027-12-31"})
        assert too_long.status_code == 400 and "end" in too_long.json()["errors"]

    def test_booking_through_the_api_is_marked_as_such_and_returns_the_appointment(self, api_as):
        slot, patient = free_slots(clinic())[0], PatientFactory()
        made = api_as("front_desk").post(
            "/api/v1/appointments/", {"patient": patient.pk, "slot": slot.pk, "reason": "Review"}, format="json"
        )
        assert made.status_code == 201, made.json()
        body = made.json()
        assert (body["slot"], body["status"], body["booked_via"], body["starts_at"][:16]) == (
            slot.pk,
            "booked",
            "api",
            slot.starts_at.isoformat()[:16],
        )

    def test_a_full_slot_answers_409_naming_it(self, api_as):
        slot = free_slots(clinic())[0]
        book(slot)
        refused = api_as("front_desk").post(
            "/api/v1/appointments/", {"patient": PatientFactory().pk, "slot": slot.pk}, format="json"
        )
        assert refused.status_code == 409
        (message,) = refused.json()["errors"]["slot"]
        assert message.startswith(f"Slot {slot.pk} (") and "fully booked" in message

    def test_unknown_patient_is_400_on_patient(self, api_as):
        slot = free_slots(clinic())[0]
        refused = api_as("front_desk").post(
            "/api/v1/appointments/", {"patient": 999999, "slot": slot.pk}, format="json"
        )
        assert refused.status_code == 400 and "patient" in refused.json()["errors"]
        assert not Appointment.objects.exists()


@pytest.mark.django_db(databases="__all__")
class TestAppointmentActions:
    def test_reschedule_cancel_and_notes(self, api_as):
        slots = free_slots(clinic())
        appointment = book(slots[0])
        desk = api_as("front_desk")

        moved = desk.post(f"/api/v1/appointments/{appointment.pk}/reschedule/", {"slot": slots[3].pk}, format="json")
        assert moved.status_code == 200 and moved.json()["slot"] == slots[3].pk
        note = desk.post(f"/api/v1/appointments/{appointment.pk}/notes/", {"text": "Bring results"}, format="json")
        assert note.status_code == 201
        no_reason = desk.post(f"/api/v1/appointments/{appointment.pk}/cancel/", {}, format="json")
        assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
        cancelled = desk.post(f"/api/v1/appointments/{appointment.pk}/cancel/", {"reason": "Away"}, format="json")
        assert cancelled.json()["status"] == "cancelled"

        detail = desk.get(f"/api/v1/appointments/{appointment.pk}/").json()
        assert [e["kind"] for e in detail["events"]] == ["booked", "rescheduled", "note", "cancelled"]
        again = desk.post(f"/api/v1/appointments/{appointment.pk}/cancel/", {"reason": "x"}, format="json")
        assert again.status_code == 409

    def test_check_in_and_the_clinicians_queue(self, api_as, morning):
        schedule = clinic()
        appointment = book(free_slots(schedule)[0])
        desk, doctor = api_as("front_desk"), api_as("clinician")
        # The clinician's key acts as its own service account, not the appointment's provider: it may call
        # the walk-in (anyone's) but not the booked patient (waiting for their own clinician).

        entry = desk.post(f"/api/v1/appointments/{appointment.pk}/check-in/", {}, format="json")
        assert entry.status_code == 201 and entry.json()["ticket"] == 1
        assert desk.post(f"/api/v1/appointments/{appointment.pk}/check-in/", {}, format="json").status_code == 409

        walk = desk.post(
            "/api/v1/queue/", {"patient": PatientFactory().pk, "department": schedule.department_id}, format="json"
        )
        assert walk.status_code == 201 and walk.json()["provider"] is None

        called = doctor.post(
            "/api/v1/queue/call-next/", {"department": schedule.department_id, "room": "4"}, format="json"
        )
        assert (
            called.status_code == 200 and called.json()["id"] == walk.json()["id"]
        )  # the other waits for its provider
        started = doctor.post(f"/api/v1/queue/{walk.json()['id']}/start/", {}, format="json")
        assert started.json()["status"] == "in_consultation"
        finished = doctor.post(f"/api/v1/queue/{walk.json()['id']}/finish/", {}, format="json")
        assert finished.json()["status"] == "done"
        nobody = doctor.post("/api/v1/queue/call-next/", {"department": schedule.department_id}, format="json")
        assert nobody.status_code == 409 and "department" in nobody.json()["errors"]

    def test_nurses_triage_but_do_not_call(self, api_as, morning):
        schedule = clinic()
        entry = api_as("front_desk").post(
            "/api/v1/queue/", {"patient": PatientFactory().pk, "department": schedule.department_id}, format="json"
        )
        nurse = api_as("nurse")
        moved = nurse.post(f"/api/v1/queue/{entry.json()['id']}/priority/", {"priority": "emergency"}, format="json")
        assert moved.status_code == 200 and moved.json()["priority"] == "emergency"
        assert (
            nurse.post("/api/v1/queue/call-next/", {"department": schedule.department_id}, format="json").status_code
            == 403
        )
        assert QueueEntry.objects.get().status == "waiting"


@on_stack
def test_twenty_parallel_api_bookings_of_one_slot_book_one_and_refuse_nineteen_naming_the_slot(api_as):
    slot = free_slots(clinic())[0]
    patients = [PatientFactory() for _ in range(20)]
    clients = [api_as("front_desk") for _ in range(20)]
    wait_replayed()

    def post(i):
        response = clients[i].post("/api/v1/appointments/", {"patient": patients[i].pk, "slot": slot.pk}, format="json")
        return response.status_code, response.json()

    results = in_parallel(20, post)

    assert sorted(code for code, _ in results) == [201] + [409] * 19, results
    for code, body in results:
        if code == 409:
            (message,) = body["errors"]["slot"]
            assert message.startswith(f"Slot {slot.pk} (") and message.endswith("is fully booked.")
    assert Appointment.objects.filter(slot=slot).count() == 1
    assert Slot.objects.get(pk=slot.pk).booked == 1


@on_stack
def test_a_retried_booking_with_the_same_idempotency_key_returns_the_same_appointment(api_as):
    slot, patient = free_slots(clinic(capacity=5))[0], PatientFactory()
    desk = api_as("front_desk")
    wait_replayed()
    key = str(uuid.uuid4())
    body = {"patient": patient.pk, "slot": slot.pk, "reason": "Review"}

    first = desk.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    retry = desk.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    together = in_parallel(
        4, lambda i: desk.post("/api/v1/appointments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key).json()["id"]
    )

    assert first.status_code == 201 and retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"] and set(together) == {first.json()["id"]}
    assert Appointment.objects.filter(patient=patient).count() == 1
    assert Slot.objects.get(pk=slot.pk).booked == 1
    connections.close_all()
