"""Demo clinics for `seed_demo`: two schedules, a week of history (attended, no-shows, cancellations,
waits), today's clinic under way (some seen, some waiting, walk-ins), bookings for the coming week, and a
clinician's leave. Everything through the scheduling commands, at the moments it would have happened."""

import contextlib
import datetime
import random

from django.contrib.auth.models import Group, User
from django.utils import timezone

from clinical import commands as clinical
from clinical.models import Department, Patient
from core.errors import DomainError
from ops.datagen.catalog import FAMILY_NAMES, GIVEN_NAMES
from scheduling import commands as scheduling
from scheduling.commands.schedules import sync_slots
from scheduling.common import day_start
from scheduling.models import Schedule, Slot

HISTORY_DAYS = 7
EXTRA_PATIENTS = 36
MINUTE = datetime.timedelta(minutes=1)


def _rules(weekdays, *sessions) -> list[dict]:
    return [
        {"weekday": d, "start_time": datetime.time(*start), "end_time": datetime.time(*end)}
        for d in weekdays
        for start, end in sessions
    ]


def _clinician(username: str, first: str, last: str, password: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"is_staff": True, "first_name": first, "last_name": last}
    )
    if created:
        user.set_password(password)
        user.save()
    user.groups.add(Group.objects.get(name="clinician"))
    return user


def _patients(rng: random.Random, demo: list[Patient]) -> list[Patient]:
    more = []
    for number in range(len(demo) + 1, len(demo) + EXTRA_PATIENTS + 1):
        mrn = f"DEMO{number:04d}"
        more.append(
            Patient.objects.filter(mrn=mrn).first()
            or clinical.patient_register(
                mrn=mrn,
                given_name=rng.choice(GIVEN_NAMES),
                family_name=rng.choice(FAMILY_NAMES),
                date_of_birth=datetime.date(rng.randint(1935, 2020), rng.randint(1, 12), rng.randint(1, 28)),
                sex=rng.choice(["female", "male"]),
            )
        )
    return demo + more


def _book(rng, slot: Slot, patients, booked_at) -> object | None:
    for patient in rng.sample(patients, 4):
        try:
            return scheduling.appointment_book(
                patient_id=patient.pk, slot_id=slot.pk, reason=rng.choice(REASONS), now=booked_at
            )
        except DomainError:
            continue  # that patient is booked elsewhere at this time
    return None


REASONS = ["Follow-up", "Blood pressure review", "New problem", "Diabetes review", "Results", "Repeat prescription"]


def _visit(rng, appointment, doctor: User, *, now: datetime.datetime, finish: bool) -> None:
    """The patient arrives a little early or late, waits, is seen (and, when `finish`, done)."""
    arrived = appointment.starts_at + rng.randint(-15, 10) * MINUTE
    if arrived >= now:
        return
    try:
        entry = scheduling.appointment_check_in(appointment_id=appointment.pk, now=arrived)
    except DomainError:
        return  # still waiting in today's queue from an earlier appointment: a no-show for this one
    seen = arrived + rng.randint(3, 40) * MINUTE
    if not finish or seen >= now:
        return
    scheduling.queue_call(entry_id=entry.pk, called_by=doctor, room="2", now=seen - MINUTE)
    scheduling.queue_start(entry_id=entry.pk, by=doctor, now=seen)
    done = seen + rng.randint(8, 20) * MINUTE
    if done < now:
        scheduling.queue_finish(entry_id=entry.pk, by=doctor, now=done)


def seed(demo_patients: list[Patient], password: str, history_days: int = HISTORY_DAYS) -> list[tuple[str, str]]:
    """Make the demo clinics unless they are there already, with `history_days` of past clinics behind
    today's. Returns the extra logins it made."""
    doctor = User.objects.get(username="clinician")
    mensah = _clinician("dr_mensah", "Kofi", "Mensah", password)
    if Schedule.objects.filter(provider=doctor).exists():
        return [("dr_mensah", "exists")]
    rng = random.Random(24)  # noqa: S311 (demo data)
    now, today = timezone.now(), timezone.localdate()
    start = today - datetime.timedelta(days=history_days)
    opd = Department.objects.get_or_create(code="OPD", defaults={"name": "Outpatients"})[0]
    med = Department.objects.get_or_create(code="MED", defaults={"name": "Medicine"})[0]
    general = scheduling.schedule_create(
        department_id=opd.pk,
        provider_id=doctor.pk,
        name="General clinic",
        slot_minutes=20,
        rules=_rules(range(7), ((8, 0), (12, 0)), ((13, 0), (17, 0))),
        valid_from=start,
    )
    diabetes = scheduling.schedule_create(
        department_id=med.pk,
        provider_id=mensah.pk,
        name="Diabetes clinic",
        slot_minutes=30,
        capacity=2,
        rules=_rules(range(5), ((9, 0), (13, 0))),
        valid_from=start,
    )
    for schedule in (general, diabetes):  # the week gone by, as if generated then
        sync_slots(schedule, now=day_start(start), horizon_days=history_days)
    patients = _patients(rng, demo_patients)

    slots = Slot.objects.filter(
        schedule__in=(general, diabetes), day__gte=start, day__lte=today + datetime.timedelta(days=7)
    ).order_by("starts_at")  # the demo's clinics only (generated ones have their own history)
    for slot in slots.select_related("schedule"):
        past, today_slot = slot.starts_at < now, slot.day == today
        if rng.random() > (0.75 if past else 0.45 if today_slot else 0.3):
            continue
        booked_at = min(slot.starts_at - datetime.timedelta(days=rng.randint(1, 10)), now)
        appointment = _book(rng, slot, patients, booked_at)
        if appointment is None or not past:
            continue
        fate = rng.random()
        if fate < 0.08:
            scheduling.appointment_cancel(
                appointment_id=appointment.pk, reason="Patient asked", now=booked_at + datetime.timedelta(hours=2)
            )
        elif fate > 0.2:  # the rest (12 %) never come: the no-show sweep below marks them
            finish = not today_slot or slot.starts_at < now - datetime.timedelta(hours=1)
            _visit(rng, appointment, slot.provider, now=now, finish=finish)
    scheduling.appointments_mark_no_shows(now=now)
    for patient, priority in zip(rng.sample(patients, 2), ("elderly", "normal"), strict=True):
        with contextlib.suppress(DomainError):  # already waiting, or nobody on duty at this hour
            scheduling.walk_in_check_in(patient_id=patient.pk, department_id=opd.pk, priority=priority)
    scheduling.exception_add(
        kind="leave", reason="Conference", provider_id=mensah.pk, start_date=today + datetime.timedelta(days=10)
    )
    return [("dr_mensah", "created")]
