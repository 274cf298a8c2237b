"""Appointments and queues: how far ahead slots exist, when a missed appointment is a no-show, who counts
as elderly in the queue, and the beat tasks that keep slots and no-shows up to date."""

from celery.schedules import crontab

from hmis.settings.env import env
from hmis.settings.read_side import CELERY_BEAT_SCHEDULE

# Slots are generated this many days ahead (the nightly task keeps the horizon moving).
SCHEDULING_SLOT_HORIZON_DAYS = env.int("SCHEDULING_SLOT_HORIZON_DAYS", default=28)
# A booked appointment not checked in this long after its slot ended is marked a no-show by the task.
SCHEDULING_NO_SHOW_GRACE_MINUTES = env.int("SCHEDULING_NO_SHOW_GRACE_MINUTES", default=30)
# Patients this old or older wait with "elderly" priority unless checked in with another one.
SCHEDULING_ELDERLY_AGE = env.int("SCHEDULING_ELDERLY_AGE", default=65)
# How often the queue board page asks for new figures (seconds).
SCHEDULING_BOARD_POLL_SECONDS = env.int("SCHEDULING_BOARD_POLL_SECONDS", default=3)

CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "generate-slots": {"task": "scheduling.generate_slots", "schedule": crontab(hour=0, minute=11)},
    "mark-no-shows": {"task": "scheduling.mark_no_shows", "schedule": 300.0},
    "close-queues": {"task": "scheduling.close_queues", "schedule": crontab(hour=0, minute=5)},
}
