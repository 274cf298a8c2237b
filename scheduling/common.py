"""What commands and queries share: the hospital's local time, names, and the order a queue is seen in."""

import datetime

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from scheduling.models import QueueEntry


def hospital_tz():
    return timezone.get_default_timezone()


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, hospital_tz()).date()


def today() -> datetime.date:
    return local_day(timezone.now())


def day_start(day: datetime.date) -> datetime.datetime:
    """The instant the hospital's local day begins."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=hospital_tz())


def who(user) -> str:
    return user.get_full_name() or user.get_username()


# Who is seen first: emergency, then elderly, then normal (each by arrival).
PRIORITY_RANK = Case(
    When(priority=QueueEntry.Priority.EMERGENCY, then=Value(0)),
    When(priority=QueueEntry.Priority.ELDERLY, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def waiting_for(department_id: int, clinician) -> QuerySet[QueueEntry]:
    """The department's waiting patients a clinician may call (theirs and anyone's), first to be seen first."""
    return (
        QueueEntry.objects.filter(department_id=department_id, status=QueueEntry.Status.WAITING)
        .filter(Q(provider__isnull=True) | Q(provider=clinician))
        .annotate(rank=PRIORITY_RANK)
        .order_by("rank", "arrived_at", "pk")
    )
