"""Inpatient test data made through the inpatient commands: a ward with beds, an inpatient encounter."""

import datetime
from decimal import Decimal

from django.utils import timezone

from clinical.models import Encounter
from inpatient import commands
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory

_made = [0]


def ward(beds: int = 3, price: str = "300.00", **kwargs):
    """A ward with `beds` beds labelled 1..n (through the commands)."""
    _made[0] += 1
    n = _made[0]
    made = commands.ward_create(
        code=kwargs.pop("code", f"W{n}"),
        name=kwargs.pop("name", f"Ward {n}"),
        department_id=kwargs.pop("department", None).pk if "department" in kwargs else DepartmentFactory().pk,
        bed_day_price=Decimal(price),
        **kwargs,
    )
    for label in range(1, beds + 1):
        commands.bed_create(ward_id=made.pk, label=str(label))
    return made


def inpatient_encounter(patient=None, started_at: datetime.datetime | None = None, **kwargs) -> Encounter:
    return EncounterFactory(
        patient=patient or PatientFactory(),
        started_at=started_at or timezone.now() - datetime.timedelta(days=30),
        **{"type": Encounter.Type.INPATIENT, **kwargs},
    )


def local(days_ago: int, hour: int, minute: int = 0) -> datetime.datetime:
    """An aware moment `days_ago` days before today at hour:minute, in the hospital's time zone."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
