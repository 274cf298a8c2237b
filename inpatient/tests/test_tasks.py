"""The hourly bed-day task and the catch-up command charge each night once."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from inpatient import tasks
from inpatient.models import Bed, BedDayCharge
from tests.support.factories.inpatient import inpatient_encounter, local, ward

pytestmark = pytest.mark.django_db


def test_the_task_charges_the_last_nights_once_and_the_command_catches_up_older_ones():
    from inpatient import commands

    w = ward(beds=1)
    commands.admission_admit(
        encounter_id=inpatient_encounter().pk, bed_id=Bed.objects.get(ward=w).pk, admitted_at=local(6, 9)
    )
    assert tasks.charge_bed_days.apply().get() == 3  # the last three nights
    assert tasks.charge_bed_days.apply().get() == 0
    out = io.StringIO()
    call_command("charge_bed_days", since=local(10, 0).date(), stdout=out)
    assert "3 bed-day(s) charged" in out.getvalue()  # the three before them
    assert BedDayCharge.objects.count() == 6
    with pytest.raises(CommandError):
        call_command("charge_bed_days", through=local(-1, 0).date(), stdout=io.StringIO())


def test_beat_runs_the_task_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["charge-bed-days"]
    assert entry["task"] == tasks.charge_bed_days.name
