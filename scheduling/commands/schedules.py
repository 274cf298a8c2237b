"""Schedules, their weekly rules and exceptions, and the slots generated from them.

Slots are generated ahead (SCHEDULING_SLOT_HORIZON_DAYS) from each schedule's weekly rules, in the
hospital's time zone: a rule's hours are local wall-clock times, turned into instants day by day, and a
session is cut into slots of the schedule's length in real elapsed time, so a session that spans a
daylight-saving change holds as many slots as it really has time for. `sync_slots` is the one rule for a
schedule's future slots, used by every command that changes a schedule or an exception and by the
nightly task: the slots the template wants exist and are open; a slot it no longer wants (an exception
covers it, the rules changed, the schedule ended) is deleted if no appointment ever named it, else
blocked so that nobody books it again while its bookings stand. Running it twice changes nothing.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from clinical.models import Department
from core.commands import get_locked, get_or_invalid, save_changes, save_new, validate
from core.errors import InvalidInput, NotFound
from scheduling.common import day_start, hospital_tz, local_day, today, who
from scheduling.models import Schedule, ScheduleException, ScheduleRule, Slot

NOT_IN_SCHEDULE = "No longer in the schedule"


# --- rules -------------------------------------------------------------------------------------------------


def _rules(rules: list[dict]) -> list[ScheduleRule]:
    built = []
    for position, rule in enumerate(rules):
        item = ScheduleRule(
            weekday=rule.get("weekday"), start_time=rule.get("start_time"), end_time=rule.get("end_time")
        )
        try:
            validate(item, exclude=["schedule"])
        except InvalidInput as exc:
            raise InvalidInput(errors={"rules": {str(position): exc.errors}}) from exc
        if item.end_time <= item.start_time:
            raise InvalidInput(errors={"rules": {str(position): {"end_time": ["A session ends after it starts."]}}})
        built.append(item)
    if not built:
        raise InvalidInput("Give at least one weekly session (weekday, start and end time).", field="rules")
    for a in built:
        for b in built:
            if a is not b and a.weekday == b.weekday and a.start_time < b.end_time and b.start_time < a.end_time:
                raise InvalidInput(f"Two sessions overlap: {a} and {b}.", field="rules")
    return built


def _check_provider_free(
    provider: User, rules: list[ScheduleRule], valid_from, valid_until, *, besides: int | None = None
) -> None:
    """A provider is in one place at a time: refuse rules that overlap another active schedule of theirs."""
    others = Schedule.objects.filter(provider=provider, active=True).exclude(pk=besides).prefetch_related("rules")
    for other in others:
        if (valid_until and valid_until < other.valid_from) or (other.valid_until and other.valid_until < valid_from):
            continue
        for mine in rules:
            for theirs in other.rules.all():
                if (
                    mine.weekday == theirs.weekday
                    and mine.start_time < theirs.end_time
                    and theirs.start_time < mine.end_time
                ):
                    raise InvalidInput(
                        f"{who(provider)} already holds {other.name or other.department} on "
                        f"{theirs.get_weekday_display()}s {theirs.start_time:%H:%M}-{theirs.end_time:%H:%M}.",
                        field="rules",
                    )


def _save_rules(schedule: Schedule, rules: list[ScheduleRule]) -> None:
    for rule in rules:
        rule.schedule = schedule
        rule.save(using="default")


# --- schedules ---------------------------------------------------------------------------------------------


@transaction.atomic(using="default")
def schedule_create(
    *,
    department_id: int,
    provider_id: int,
    rules: list[dict],
    slot_minutes: int = 15,
    capacity: int = 1,
    valid_from: datetime.date | None = None,
    valid_until: datetime.date | None = None,
    name: str = "",
) -> Schedule:
    """A provider's weekly clinic; its slots for the coming weeks are generated at once."""
    department = get_or_invalid(Department, department_id, field="department")
    provider = get_or_invalid(User, provider_id, field="provider", label="User")
    schedule = Schedule(
        department=department,
        provider=provider,
        name=name.strip(),
        slot_minutes=slot_minutes,
        capacity=capacity,
        valid_from=valid_from or today(),
        valid_until=valid_until,
    )
    validate(schedule)
    built = _rules(rules)
    _check_provider_free(provider, built, schedule.valid_from, schedule.valid_until)
    schedule.save(using="default")
    _save_rules(schedule, built)
    sync_slots(schedule)
    return schedule


@transaction.atomic(using="default")
def schedule_update(*, schedule_id: int, rules: list[dict] | None = None, **changes) -> Schedule:
    """Change a schedule's hours, slot length, capacity, validity, or end it (active=False). Future slots
    follow; slots with bookings are kept (blocked when no longer in the schedule) until rescheduled."""
    schedule = get_locked(Schedule, schedule_id)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    allowed = ("name", "slot_minutes", "capacity", "valid_from", "valid_until", "active")
    save_changes(schedule, changes, allowed=allowed)
    built = _rules(rules) if rules is not None else list(schedule.rules.all())
    if schedule.active:
        _check_provider_free(schedule.provider, built, schedule.valid_from, schedule.valid_until, besides=schedule.pk)
    if rules is not None:
        schedule.rules.all().delete()
        _save_rules(
            schedule, [ScheduleRule(weekday=r.weekday, start_time=r.start_time, end_time=r.end_time) for r in built]
        )
    sync_slots(schedule)
    return schedule


# --- exceptions --------------------------------------------------------------------------------------------


def _affected_schedules(exception: ScheduleException):
    schedules = Schedule.objects.select_for_update().order_by("pk")
    if exception.department_id:
        schedules = schedules.filter(department_id=exception.department_id)
    if exception.provider_id:
        schedules = schedules.filter(provider_id=exception.provider_id)
    return list(schedules)


@transaction.atomic(using="default")
def exception_add(
    *,
    kind: str,
    reason: str,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    department_id: int | None = None,
    provider_id: int | None = None,
    created_by: User | None = None,
) -> ScheduleException:
    """A holiday, closure or leave, as instants or as whole local days (start_date to end_date, inclusive).
    Slots inside it go; those holding bookings are blocked and listed for rescheduling."""
    if start_date is not None:
        starts_at = day_start(start_date)
        ends_at = day_start((end_date or start_date) + datetime.timedelta(days=1))
    if starts_at is None or ends_at is None:
        raise InvalidInput("Give the days (start_date, end_date) or the times (starts_at, ends_at).", field="starts_at")
    exception = ScheduleException(
        kind=kind,
        reason=reason.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        department=get_or_invalid(Department, department_id, field="department") if department_id else None,
        provider=get_or_invalid(User, provider_id, field="provider", label="User") if provider_id else None,
        created_by=created_by,
    )
    if exception.ends_at <= exception.starts_at:
        raise InvalidInput("The exception ends after it starts.", field="ends_at")
    if kind == ScheduleException.Kind.LEAVE and exception.provider is None:
        raise InvalidInput("Leave is someone's: choose the provider.", field="provider")
    validate(exception)
    save_new(exception, on_conflict="This exception conflicts with another record.")
    for schedule in _affected_schedules(exception):
        sync_slots(schedule)
    return exception


@transaction.atomic(using="default")
def exception_remove(*, exception_id: int) -> None:
    """Withdraw a holiday or leave: the slots it took come back, and those it blocked open again."""
    try:
        exception = ScheduleException.objects.select_for_update().get(pk=exception_id)
    except (ScheduleException.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"Exception {exception_id} does not exist.") from None
    schedules = _affected_schedules(exception)
    exception.delete()
    for schedule in schedules:
        sync_slots(schedule)


# --- slots -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    day: datetime.date


def template_slots(schedule: Schedule, rules, first: datetime.date, last: datetime.date) -> list[Wanted]:
    """The slots the weekly rules give from `first` to `last` (local days, inclusive), ignoring exceptions."""
    tz, length = hospital_tz(), datetime.timedelta(minutes=schedule.slot_minutes)
    first = max(first, schedule.valid_from)
    if schedule.valid_until:
        last = min(last, schedule.valid_until)
    by_weekday: dict[int, list] = {}
    for rule in rules:
        by_weekday.setdefault(rule.weekday, []).append(rule)
    wanted, day = [], first
    while day <= last:
        for rule in sorted(by_weekday.get(day.weekday(), ()), key=lambda r: r.start_time):
            # Local wall-clock hours to instants, then cut in real time (UTC arithmetic): across a
            # daylight-saving change a session is as long as it really is.
            start = datetime.datetime.combine(day, rule.start_time, tzinfo=tz).astimezone(datetime.UTC)
            end = datetime.datetime.combine(day, rule.end_time, tzinfo=tz).astimezone(datetime.UTC)
            at = start
            while at + length <= end:
                wanted.append(Wanted(at, at + length, day))
                at += length
        day += datetime.timedelta(days=1)
    return wanted


def _covering(schedule: Schedule, first: datetime.datetime, last: datetime.datetime) -> list[ScheduleException]:
    return list(
        ScheduleException.objects.filter(starts_at__lt=last, ends_at__gt=first)
        .filter(Q(department__isnull=True) | Q(department_id=schedule.department_id))
        .filter(Q(provider__isnull=True) | Q(provider_id=schedule.provider_id))
    )


def _cover(exceptions: list[ScheduleException], starts_at, ends_at) -> ScheduleException | None:
    return next((e for e in exceptions if e.starts_at < ends_at and starts_at < e.ends_at), None)


def _announce(created: list[Slot]) -> None:
    """bulk_create sends no signals: announce one new slot per department and day, so the outbox marks
    the read side's rows for those days (reports recompute a department's day whole) and the audit trail
    records the generation."""
    seen = set()
    for slot in created:
        if (slot.department_id, slot.day) not in seen:
            seen.add((slot.department_id, slot.day))
            post_save.send(sender=Slot, instance=slot, created=True, update_fields=None, raw=False, using="default")


def sync_slots(schedule: Schedule, *, now: datetime.datetime | None = None, horizon_days: int | None = None) -> int:
    """Bring the schedule's future slots in line with its rules and the exceptions (see the module's
    docstring). Call with the schedule row locked. Returns how many slots it created."""
    now = now or timezone.now()
    horizon = settings.SCHEDULING_SLOT_HORIZON_DAYS if horizon_days is None else horizon_days
    first_day = local_day(now)
    last_day = first_day + datetime.timedelta(days=horizon)
    window = (day_start(first_day), day_start(last_day + datetime.timedelta(days=1)))
    exceptions = _covering(schedule, *window)
    wanted = {}
    if schedule.active:
        for w in template_slots(schedule, schedule.rules.all(), first_day, last_day):
            if w.starts_at > now and _cover(exceptions, w.starts_at, w.ends_at) is None:
                wanted[w.starts_at] = w
    existing = {
        s.starts_at: s
        for s in Slot.objects.select_for_update().filter(schedule=schedule, starts_at__gt=now, starts_at__lt=window[1])
    }
    referenced = set(
        Slot.objects.filter(pk__in=[s.pk for s in existing.values()], appointments__isnull=False).values_list(
            "pk", flat=True
        )
    )
    for starts_at, slot in existing.items():
        want = wanted.get(starts_at)
        if want is not None and want.ends_at == slot.ends_at:
            changes = {}
            if slot.blocked:
                changes.update(blocked=False, blocked_reason="")
            if slot.capacity != max(schedule.capacity, slot.booked):
                changes["capacity"] = max(schedule.capacity, slot.booked)
            if changes:
                for name, value in changes.items():
                    setattr(slot, name, value)
                slot.save(using="default", update_fields=list(changes))
            del wanted[starts_at]
        elif slot.pk not in referenced:
            slot.delete()
        else:
            cover = _cover(exceptions, slot.starts_at, slot.ends_at)
            reason = cover.reason if cover else NOT_IN_SCHEDULE
            if not slot.blocked or slot.blocked_reason != reason:
                slot.blocked, slot.blocked_reason = True, reason
                slot.save(using="default", update_fields=["blocked", "blocked_reason"])
            wanted.pop(starts_at, None)  # the kept slot holds this start (unique per schedule)
    if not wanted:
        return 0
    # A provider is in one place at a time (an exclusion constraint): skip what overlaps their other slots.
    taken = list(
        Slot.objects.filter(provider_id=schedule.provider_id, starts_at__lt=window[1], ends_at__gt=now)
        .exclude(schedule=schedule, starts_at__in=list(wanted))
        .values_list("starts_at", "ends_at")
    )
    new = [
        Slot(
            schedule=schedule,
            department_id=schedule.department_id,
            provider_id=schedule.provider_id,
            day=w.day,
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            capacity=schedule.capacity,
        )
        for w in wanted.values()
        if not any(s < w.ends_at and w.starts_at < e for s, e in taken)
    ]
    try:
        with transaction.atomic(using="default"):
            created = Slot.objects.using("default").bulk_create(new)
    except IntegrityError as exc:  # only if another writer slipped past the schedule's lock
        raise InvalidInput(f"Slots of {schedule} overlap others of the same provider.", field="rules") from exc
    _announce(created)
    return len(created)


def slots_generate(*, schedule_id: int | None = None, now: datetime.datetime | None = None) -> int:
    """Generate every active schedule's slots up to the horizon (the nightly task); idempotent. One
    transaction per schedule, each locked while it is brought up to date."""
    ids = [schedule_id] if schedule_id else list(Schedule.objects.order_by("pk").values_list("pk", flat=True))
    created = 0
    for pk in ids:
        with transaction.atomic(using="default"):
            schedule = get_locked(Schedule, pk)
            created += sync_slots(schedule, now=now)
    return created
