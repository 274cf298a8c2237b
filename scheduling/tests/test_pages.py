"""The front desk and the clinic in pages: the Django test client for refusals, Chromium for the day's work
(the front desk books, reschedules and checks in; a clinician calls the next patient from "my queue"; the
board follows without a reload)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinical.models import Encounter
from scheduling.models import Appointment, QueueEntry
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory
from tests.support.factories.scheduling import book, clinic, free_slots
from tests.support.stack import on_stack, shot, sign_in


@pytest.mark.django_db(databases="__all__")
class TestRefusals:
    def test_booking_a_full_slot_shows_the_reason_at_the_top_and_books_nothing(self, client):
        sign_in(client, UserFactory(username="desk1", roles=["front_desk"]))
        slot = free_slots(clinic())[0]
        book(slot)
        patient = PatientFactory(mrn="MRN-P1")

        response = client.post(
            f"/scheduling/book/?department={slot.department_id}", {"patient_id": "mrn-p1", "slot_id": slot.pk}
        )

        assert response.status_code == 400
        assert "is fully booked" in response.content.decode()
        assert not Appointment.objects.filter(patient=patient).exists()

    def test_an_unknown_mrn_is_an_error_on_the_field(self, client):
        sign_in(client, UserFactory(username="desk2", roles=["front_desk"]))
        slot = free_slots(clinic())[0]
        response = client.post("/scheduling/book/", {"patient_id": "NOPE", "slot_id": slot.pk})
        assert response.status_code == 400 and "No patient has MRN NOPE." in response.content.decode()

    def test_call_next_with_nobody_waiting_says_so(self, client):
        doctor = UserFactory(username="doc1", roles=["clinician"])
        schedule = clinic(provider=doctor)
        sign_in(client, doctor)
        response = client.post(f"/scheduling/queue/{schedule.department_id}/call-next/", {"room": "2"})
        assert response.status_code == 409 and "Nobody is waiting for you" in response.content.decode()

    def test_the_front_desk_sees_no_call_button_and_may_not_call(self, client):
        sign_in(client, UserFactory(username="desk3", roles=["front_desk"]))
        schedule = clinic()
        page = client.get(f"/scheduling/queue/?department={schedule.department_id}")
        assert page.status_code == 200 and "Call next patient" not in page.content.decode()
        assert client.post(f"/scheduling/queue/{schedule.department_id}/call-next/").status_code == 403


@on_stack
def test_front_desk_books_moves_and_checks_in_and_the_clinician_calls_from_my_queue(
    browse, settings, celery_worker_process
):
    settings.SCHEDULING_SLOT_HORIZON_DAYS = 1
    now = timezone.localtime()
    if now.hour == 23 and now.minute >= 25:
        pytest.skip("needs a slot later today")
    UserFactory(username="desk", first_name="Dana", last_name="Desk", roles=["front_desk"])
    doctor = UserFactory(username="doc", first_name="Nia", last_name="Okoro", roles=["clinician"])
    clinic_ = clinic(
        department=DepartmentFactory(code="OPD", name="Outpatients"),
        provider=doctor,
        start=datetime.time(0, 0),
        end=datetime.time(23, 59),
        slot_minutes=30,
    )
    patient = PatientFactory(given_name="Amara", family_name="Okafor", mrn="DEMO0001")
    tomorrow = free_slots(clinic_).exclude(day=timezone.localdate()).first()
    later_today = free_slots(clinic_, day=timezone.localdate()).first()

    desk = browse("desk")
    desk.get_by_role("link", name="Front desk").click()
    desk.get_by_role("link", name="Book an appointment").click()
    desk.get_by_label("Department").select_option(label="Outpatients")
    desk.get_by_role("button", name="Show free slots").click()
    desk.locator(f"input[name=slot_id][value='{tomorrow.pk}']").check()
    desk.get_by_label("Patient MRN").fill("DEMO0001")
    desk.get_by_label("Reason for the visit").fill("Knee pain")
    shot(desk, "scheduling-book")
    desk.get_by_role("button", name="Book", exact=True).click()
    expect(desk.get_by_text("Appointment booked.")).to_be_visible()
    appointment = Appointment.objects.using("default").get(patient=patient)
    assert appointment.slot_id == tomorrow.pk and appointment.reason == "Knee pain"

    desk.get_by_role("link", name="Reschedule").click()
    desk.locator(f"input[name=slot_id][value='{later_today.pk}']").check()
    desk.get_by_label("Why it moves").fill("Patient asked for today")
    desk.get_by_role("button", name="Move the appointment").click()
    expect(desk.get_by_text("Appointment moved.")).to_be_visible()
    desk.get_by_role("button", name="Check in", exact=True).click()
    expect(desk.get_by_text("Checked in: ticket 001, Outpatients.")).to_be_visible()
    shot(desk, "scheduling-appointment")
    desk.goto(f"/scheduling/?department={clinic_.department_id}")
    expect(desk.get_by_text("ticket 001")).to_be_visible()
    shot(desk, "scheduling-desk")

    doc = browse("doc")
    board = doc.context.new_page()
    board.goto(f"/scheduling/queue/{clinic_.department_id}/board/")
    expect(board.locator("[data-list=waiting] .ticket")).to_have_text("001", timeout=20000)
    expect(board.locator("[data-list=waiting] .name")).to_have_text("Amara O.")
    shot(board, "scheduling-board-waiting")

    doc.get_by_role("link", name="My queue").click()
    expect(doc.get_by_role("heading", name="My queue: Outpatients")).to_be_visible()
    doc.get_by_label("Room").fill("3")
    doc.get_by_role("button", name="Call next patient").click()
    expect(doc.get_by_text("Called.")).to_be_visible()
    expect(doc.get_by_role("button", name="Start consultation")).to_be_visible()
    shot(doc, "scheduling-my-queue")
    # The board, untouched since it opened, shows the call within its next polls.
    expect(board.locator("[data-list=called] .detail")).to_have_text("Room 3", timeout=20000)
    shot(board, "scheduling-board-called")

    doc.get_by_role("button", name="Start consultation").click()
    doc.get_by_role("button", name="Finish").click()
    expect(doc.get_by_text("Ticket 001 done.")).to_be_visible()
    entry = QueueEntry.objects.using("default").get(patient=patient)
    assert entry.status == "done" and entry.called_by_id == doctor.pk and entry.room == "3"
    assert Encounter.objects.using("default").get(pk=entry.encounter_id).status == "closed"
    expect(board.locator("[data-list=in_consultation] .empty")).to_be_visible(timeout=20000)
