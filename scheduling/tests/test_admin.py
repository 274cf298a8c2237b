"""Scheduling in the admin: schedules and exceptions are made through the commands (slots follow)."""

import datetime

import pytest
from django.utils import timezone

from scheduling.models import Appointment, Schedule, ScheduleException, Slot
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory
from tests.support.factories.scheduling import book, clinic, free_slots

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_a_schedule_added_with_its_weekly_sessions_gets_its_slots(staff):
    department, doctor = DepartmentFactory(), UserFactory(roles=["clinician"])
    response = staff.post(
        "/admin/scheduling/schedule/add/",
        {
            "department": department.pk,
            "provider": doctor.pk,
            "name": "Asthma clinic",
            "slot_minutes": "30",
            "capacity": "1",
            "valid_from": timezone.localdate().isoformat(),
            "valid_until": "",
            "active": "on",
            "rules-TOTAL_FORMS": "2",
            "rules-INITIAL_FORMS": "0",
            **{f"rules-{n}-weekday": str(n) for n in range(2)},
            **{f"rules-{n}-start_time": "09:00" for n in range(2)},
            **{f"rules-{n}-end_time": "11:00" for n in range(2)},
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = Schedule.objects.get(name="Asthma clinic")
    assert sorted(schedule.rules.values_list("weekday", flat=True)) == [0, 1]
    assert Slot.objects.filter(schedule=schedule).exists()
    assert {s.starts_at.astimezone(timezone.get_default_timezone()).weekday() for s in schedule.slots.all()} <= {0, 1}


def test_a_leave_added_in_the_admin_closes_the_providers_slots(staff):
    schedule = clinic()
    day = free_slots(schedule)[0].day + datetime.timedelta(days=2)
    kept = book(free_slots(schedule, day=day)[0], patient=PatientFactory())
    response = staff.post(
        "/admin/scheduling/scheduleexception/add/",
        {"kind": "leave", "reason": "Course", "provider": schedule.provider_id, "start_date": day.isoformat()},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ScheduleException.objects.get().created_by.username == "root"
    assert list(Slot.objects.filter(schedule=schedule, day=day).values_list("pk", "blocked")) == [(kept.slot_id, True)]


def test_cancelling_from_the_admin_asks_for_a_reason(staff):
    appointment = book(free_slots(clinic())[0])
    action = {"action": "cancel", "_selected_action": [appointment.pk]}
    assert staff.post("/admin/scheduling/appointment/", action).status_code == 200  # the confirmation page
    staff.post("/admin/scheduling/appointment/", {**action, "apply": "1", "reason": "Clinic closed"})
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Clinic closed")
    assert Appointment.objects.count() == 1
