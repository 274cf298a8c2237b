"""Slot generation: weekly rules in the hospital's time zone, across daylight-saving changes and
exceptions, idempotent; schedule changes and exceptions after generation."""

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from core.errors import InvalidInput
from scheduling import commands
from scheduling.models import Appointment, Schedule, Slot
from tests.support.factories.clinical import DepartmentFactory, UserFactory
from tests.support.factories.scheduling import book, clinic, free_slots

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
MON, FRI, SAT, SUN = 0, 4, 5, 6


def local(slot: Slot) -> str:
    return f"{slot.starts_at.astimezone(LONDON):%a %Y-%m-%d %H:%M}"


@pytest.fixture
def london(settings):
    settings.TIME_ZONE = "Europe/London"
    settings.SCHEDULING_SLOT_HORIZON_DAYS = 14


def test_sessions_keep_their_local_hours_across_the_spring_change_and_skip_the_holiday(london):
    # Wednesday 24 March 2027; clocks go forward on Sunday 28 March; Good Friday 2 April is a holiday.
    with time_machine.travel(datetime.datetime(2027, 3, 24, 7, 0, tzinfo=UTC), tick=False):
        commands.exception_add(kind="holiday", reason="Good Friday", start_date=datetime.date(2027, 4, 2))
        schedule = clinic(weekdays=(MON, FRI), start=datetime.time(9), end=datetime.time(10))

    slots = list(Slot.objects.filter(schedule=schedule).order_by("starts_at"))
    days = sorted({s.day for s in slots})
    assert days == [datetime.date(2027, 3, 26), datetime.date(2027, 3, 29), datetime.date(2027, 4, 5)]
    assert [local(s) for s in slots if s.day == datetime.date(2027, 3, 26)] == [
        "Fri 2027-03-26 09:00",
        "Fri 2027-03-26 09:15",
        "Fri 2027-03-26 09:30",
        "Fri 2027-03-26 09:45",
    ]
    # The same local hours; the instants move by the hour the clocks moved.
    friday, monday = (next(s for s in slots if s.day == d) for d in days[:2])
    assert friday.starts_at == datetime.datetime(2027, 3, 26, 9, 0, tzinfo=UTC)  # GMT
    assert monday.starts_at == datetime.datetime(2027, 3, 29, 8, 0, tzinfo=UTC)  # BST
    assert all(s.ends_at - s.starts_at == datetime.timedelta(minutes=15) for s in slots)
    assert len(slots) == 12  # three clinic days x four slots, none on Good Friday


def test_a_night_session_spanning_the_change_has_the_slots_its_real_hours_hold(london):
    with time_machine.travel(datetime.datetime(2027, 3, 24, 7, 0, tzinfo=UTC), tick=False):
        spring = clinic(weekdays=(SUN,), start=datetime.time(0), end=datetime.time(4), slot_minutes=30)
    with time_machine.travel(datetime.datetime(2027, 10, 27, 7, 0, tzinfo=UTC), tick=False):
        autumn = clinic(weekdays=(SUN,), start=datetime.time(0), end=datetime.time(4), slot_minutes=30)

    spring_night = list(Slot.objects.filter(schedule=spring, day=datetime.date(2027, 3, 28)).order_by("starts_at"))
    autumn_night = list(Slot.objects.filter(schedule=autumn, day=datetime.date(2027, 10, 31)).order_by("starts_at"))
    # 00:00 GMT to 04:00 BST is three real hours; 00:00 BST to 04:00 GMT is five.
    assert len(spring_night) == 6 and len(autumn_night) == 10
    assert [f"{s.starts_at.astimezone(LONDON):%H:%M}" for s in spring_night] == [
        "00:00", "00:30", "02:00", "02:30", "03:00", "03:30"
    ]  # fmt: skip
    for night in (spring_night, autumn_night):
        assert all(a.ends_at == b.starts_at for a, b in itertools.pairwise(night))  # back to back
        assert all(s.ends_at - s.starts_at == datetime.timedelta(minutes=30) for s in night)


def test_generation_is_idempotent_and_moves_the_horizon_forward(settings):
    settings.SCHEDULING_SLOT_HORIZON_DAYS = 6
    start = datetime.datetime(2027, 6, 7, 6, 0, tzinfo=UTC)  # a Monday, before the clinic opens
    with time_machine.travel(start, tick=False):
        schedule = clinic(weekdays=(MON, FRI))
        first = set(Slot.objects.filter(schedule=schedule).values_list("pk", "starts_at"))
        assert commands.slots_generate() == 0
        assert set(Slot.objects.filter(schedule=schedule).values_list("pk", "starts_at")) == first
    with time_machine.travel(start + datetime.timedelta(days=7), tick=False):
        made = commands.slots_generate()
    assert made == 24  # next Monday's and Friday's twelve each
    assert Slot.objects.filter(schedule=schedule).count() == len(first) + 24


def test_a_holiday_added_later_removes_free_slots_and_blocks_booked_ones_until_it_is_withdrawn(settings):
    settings.SCHEDULING_SLOT_HORIZON_DAYS = 3
    with time_machine.travel(datetime.datetime(2027, 6, 7, 6, 0, tzinfo=UTC), tick=False):
        schedule = clinic(weekdays=(MON, FRI, 2))
        wednesday = datetime.date(2027, 6, 9)
        kept = book(free_slots(schedule, day=wednesday)[3])
        holiday = commands.exception_add(kind="closure", reason="Water leak", start_date=wednesday)

        on_the_day = Slot.objects.filter(schedule=schedule, day=wednesday)
        assert list(on_the_day.values_list("pk", "blocked", "blocked_reason")) == [(kept.slot_id, True, "Water leak")]
        with pytest.raises(Exception, match="closed"):
            book(kept.slot)
        assert Appointment.objects.get(pk=kept.pk).status == "booked"  # the booking stands, to be moved

        commands.exception_remove(exception_id=holiday.pk)
        assert on_the_day.count() == 12 and not on_the_day.filter(blocked=True).exists()


def test_leave_closes_only_that_providers_clinics():
    doctor, other = UserFactory(roles=["clinician"]), UserFactory(roles=["clinician"])
    mine, theirs = clinic(provider=doctor), clinic(provider=other)
    tomorrow = free_slots(mine)[0].day + datetime.timedelta(days=1)

    commands.exception_add(kind="leave", reason="Conference", provider_id=doctor.pk, start_date=tomorrow)

    assert not Slot.objects.filter(schedule=mine, day=tomorrow).exists()
    assert Slot.objects.filter(schedule=theirs, day=tomorrow).count() == 12


def test_leave_without_a_provider_is_refused():
    with pytest.raises(InvalidInput) as caught:
        commands.exception_add(kind="leave", reason="?", start_date=datetime.date(2027, 1, 4))
    assert "provider" in caught.value.errors


def test_a_provider_cannot_hold_two_clinics_at_once():
    doctor = UserFactory(roles=["clinician"])
    clinic(provider=doctor, weekdays=(MON,), start=datetime.time(9), end=datetime.time(12))
    with pytest.raises(InvalidInput) as caught:
        clinic(provider=doctor, weekdays=(MON,), start=datetime.time(11), end=datetime.time(13))
    assert "already holds" in str(caught.value)
    assert Schedule.objects.count() == 1


def test_the_database_refuses_overlapping_slots_of_one_provider():
    schedule = clinic(weekdays=(MON,))
    slot = Slot.objects.filter(schedule=schedule).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.create(
            schedule=schedule,
            department_id=slot.department_id,
            provider_id=slot.provider_id,
            day=slot.day,
            starts_at=slot.starts_at + datetime.timedelta(minutes=5),
            ends_at=slot.ends_at + datetime.timedelta(minutes=5),
            capacity=1,
        )


def test_changing_the_slot_length_rebuilds_free_slots_and_keeps_booked_ones(settings):
    settings.SCHEDULING_SLOT_HORIZON_DAYS = 1
    with time_machine.travel(datetime.datetime(2027, 6, 7, 6, 0, tzinfo=UTC), tick=False):
        schedule = clinic(weekdays=(MON,), start=datetime.time(9), end=datetime.time(10))
        booked = book(free_slots(schedule)[1])  # 09:15-09:30

        commands.schedule_update(schedule_id=schedule.pk, slot_minutes=20)

    slots = Slot.objects.filter(schedule=schedule).order_by("starts_at")
    times = [(f"{s.starts_at:%H:%M}", s.blocked) for s in slots]
    # The booked 09:15 stays, blocked; new 20-minute slots that would overlap it (09:00, 09:20) are not made.
    assert times == [("09:15", True), ("09:40", False)]
    assert slots.get(pk=booked.slot_id).blocked_reason == "No longer in the schedule"


def test_ending_a_schedule_removes_its_free_future_slots():
    schedule = clinic()
    commands.schedule_update(schedule_id=schedule.pk, active=False)
    assert not Slot.objects.filter(schedule=schedule).exists()


def test_rules_are_validated_per_session():
    with pytest.raises(InvalidInput) as caught:
        clinic(start=datetime.time(12), end=datetime.time(9))
    assert "rules" in caught.value.errors
    with pytest.raises(InvalidInput):
        commands.schedule_create(department_id=DepartmentFactory().pk, provider_id=UserFactory().pk, rules=[])
