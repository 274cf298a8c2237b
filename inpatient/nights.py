"""Midnights: how bed-days are counted (the midnight census, as hospitals count them).

A patient in a bed at midnight (the hospital's time zone, TIME_ZONE) is one inpatient day, charged once
at the price of the ward whose bed they were in at that moment. The night of 30 November is the midnight
between the 30th and the 1st. A stay that crosses no midnight (admitted and discharged the same day) is
charged no bed-day; a transfer during the day charges the bed held at midnight. The census report counts
the same midnights.
"""

import datetime

from django.utils import timezone

ONE_DAY = datetime.timedelta(days=1)


def midnight(night: datetime.date) -> datetime.datetime:
    """The midnight that ends `night` (aware, in the hospital's time zone: DST-safe)."""
    return timezone.make_aware(datetime.datetime.combine(night + ONE_DAY, datetime.time.min))


def night_of(moment: datetime.datetime) -> datetime.date:
    """The night during which `moment` falls (its local date)."""
    return timezone.localtime(moment).date()


def last_night(now: datetime.datetime | None = None) -> datetime.date:
    """The night whose midnight passed last (yesterday's date, until the next midnight)."""
    return night_of(now or timezone.now()) - ONE_DAY


def between(first: datetime.date, last: datetime.date):
    night = first
    while night <= last:
        yield night
        night += ONE_DAY


def occupied(started_at: datetime.datetime, ended_at: datetime.datetime | None, night: datetime.date) -> bool:
    """Was a bed held from `started_at` until `ended_at` (None: still) at the midnight ending `night`?"""
    m = midnight(night)
    return started_at <= m and (ended_at is None or ended_at > m)
