"""Scheduling test data made through the scheduling commands: a weekly clinic and its slots, bookings."""

import datetime

from django.utils import timezone

from scheduling import commands
from scheduling.models import Slot
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory

EVERY_DAY = tuple(range(7))


def clinic(
    *,
    department=None,
    provider=None,
    weekdays=EVERY_DAY,
    start=datetime.time(9, 0),
    end=datetime.time(12, 0),
    slot_minutes=15,
    capacity=1,
    **kwargs,
):
    """A weekly clinic (every day 09:00-12:00 unless told otherwise), its slots generated."""
    return commands.schedule_create(
        department_id=(department or DepartmentFactory()).pk,
        provider_id=(provider or UserFactory(roles=["clinician"])).pk,
        rules=[{"weekday": day, "start_time": start, "end_time": end} for day in weekdays],
        slot_minutes=slot_minutes,
        capacity=capacity,
        **kwargs,
    )


def free_slots(schedule, *, day: datetime.date | None = None):
    slots = Slot.objects.filter(schedule=schedule, blocked=False, starts_at__gt=timezone.now()).order_by("starts_at")
    return slots.filter(day=day) if day else slots


def book(slot=None, patient=None, **kwargs):
    return commands.appointment_book(
        patient_id=(patient or PatientFactory()).pk, slot_id=(slot.pk if slot else kwargs.pop("slot_id")), **kwargs
    )
