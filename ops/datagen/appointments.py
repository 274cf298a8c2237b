"""Clinics, slots, appointments and the queue (the part of `Hospital` that books its outpatients).

Each outpatient department gets clinicians of its own ("gen_op_NNN"), each with one weekly schedule of
half-day sessions (08:00-12:00, 13:00-17:00, weekdays, 15-minute slots for one patient), as many sessions
as the department's volume needs at about 80 % utilisation; their slots cover the whole history and four
weeks ahead, in the hospital's time zone. Most weekday outpatient encounters came from a booking: the
patient arrived up to a quarter of an hour early (or a few minutes late), waited (a skewed wait, longer
in busy departments), was seen by the slot's clinician, who becomes the encounter's attending; the other
outpatients walked in (all weekend ones), a few of whom left without being seen. Besides, about one
booking in ten was a no-show (more among children's and Monday clinics) and some were cancelled; the
coming four weeks hold bookings, more of them for the nearer days.

Every rule of the write model holds: a slot's counter equals its live bookings (capacity one), no patient
has two overlapping live appointments, tickets count per department and day in order of arrival, an
appointment's times are its slot's. The draws come from a generator of its own, so the rest of the
hospital is the same as without it (only the attending of booked outpatient encounters changes).
"""

import bisect
import datetime as dt
import math
import random
from array import array
from zoneinfo import ZoneInfo

from django.conf import settings

from ops.datagen import catalog
from ops.datagen.loader import NULL
from ops.datagen.rows import DAY, stamp, text

SLOT = 15 * 60
SESSIONS = [(0, 8), (2, 8), (4, 8), (1, 8), (3, 8), (0, 13), (2, 13), (4, 13), (1, 13), (3, 13)]  # weekday, hour
SLOTS_PER_SESSION = 16
UTILISATION = 0.8
BOOKED_SHARE = 0.82  # of weekday outpatient encounters; the rest walked in
HORIZON_DAYS = 28
NO_SHOW = {"PED": 0.14, "OBG": 0.11}  # per check-in, a no-show booking beside it (default below)
DEFAULT_NO_SHOW = 0.1
CANCELLED = 0.07
LEFT_UNSEEN = 0.04  # of walk-ins
REASONS = ["Follow-up", "New problem", "Review", "Results", "Referral", "Repeat prescription"]
CANCEL_REASONS = ["Patient asked", "Feeling better", "Clinic rescheduled"]
ELDERLY = 0.18  # of queue entries waiting with elderly priority
BUSIER = {"OPD": 1.6}  # waits scale with how busy a department's queue runs


class Appointments:
    # --- plan: who was booked where (before the encounters are written: it names their attending) ---------

    def _plan_appointments(self) -> None:
        rng = self.sched_rng = random.Random(self.seed + 5)  # noqa: S311 (synthetic data)
        self.tz = ZoneInfo(settings.TIME_ZONE)
        first = dt.datetime.fromtimestamp(self.start, self.tz).date()
        last = dt.datetime.fromtimestamp(self.cutoff, self.tz).date() + dt.timedelta(days=HORIZON_DAYS)
        self.days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        outpatient = [code for code, _, kinds, _ in catalog.DEPARTMENTS if "outpatient" in kinds]
        busy = {code: [0] * len(self.days) for code in outpatient}
        for at, _end, kind, department, _patient, _attending in self.encounters:
            if kind == "outpatient":
                busy[self.department_code[department]][(self._local(at) - first).days] += 1
        # Sessions per week for each department: its weekday volume, booked share, at the target utilisation.
        weekdays = sum(1 for d in self.days if d.weekday() < 5) or 1
        plan = []  # (department code, [session (weekday, hour)])
        for code in outpatient:
            per_day = sum(busy[code]) / weekdays * BOOKED_SHARE
            sessions = max(1, math.ceil(per_day * 5 / UTILISATION / SLOTS_PER_SESSION))
            while sessions > 0:
                plan.append((code, SESSIONS[: min(sessions, len(SESSIONS))]))
                sessions -= len(SESSIONS)
        providers = self._staff("gen_op_", len(plan), "clinician")
        self.schedules = []  # (department id, provider id, sessions, starts: array of slot starts)
        for (code, sessions), provider in zip(plan, providers, strict=True):
            starts = array("q")
            for day in self.days:
                for weekday, hour in sessions:
                    if day.weekday() == weekday:
                        begin = int(dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz).timestamp())
                        starts.extend(begin + k * SLOT for k in range(SLOTS_PER_SESSION))
            self.schedules.append((self.departments[code], provider, sessions, array("q", sorted(starts))))
        by_department: dict[int, list[int]] = {}
        for s, (department, *_rest) in enumerate(self.schedules):
            by_department.setdefault(department, []).append(s)
        self.slot_offset = list(self._offsets())
        self.taken = [bytearray(len(s[3])) for s in self.schedules]
        self.live: dict[int, set[int]] = {}  # patient -> slot starts of their live appointments
        self.booking_of: dict[int, tuple[int, int]] = {}  # encounter index -> (schedule, slot index)
        for i, (at, end, kind, department, patient, _attending) in enumerate(self.encounters):
            if kind != "outpatient" or end is None or department not in by_department or rng.random() > BOOKED_SHARE:
                continue
            found = self._free_slot(rng, by_department[department], at, patient)
            if found is None:
                continue  # the clinics were full: a walk-in after all
            s, k = found
            self.booking_of[i] = found
            self.taken[s][k] = 1
            self.live.setdefault(patient, set()).add(self.schedules[s][3][k])
            self.encounters[i] = (at, end, kind, department, patient, self.schedules[s][1])

    def _local(self, seconds: int) -> dt.date:
        return dt.datetime.fromtimestamp(seconds, self.tz).date()

    def _offsets(self):
        offset = 0
        for schedule in self.schedules:
            yield offset
            offset += len(schedule[3])

    def _free_slot(self, rng, schedules: list[int], at: int, patient: int) -> tuple[int, int] | None:
        """A free slot starting close to the arrival (up to 15 min later, or a few minutes earlier)."""
        target = at + rng.randint(-5 * 60, 15 * 60)
        mine = self.live.get(patient, ())
        for s in rng.sample(schedules, len(schedules)):
            starts = self.schedules[s][3]
            first = bisect.bisect_left(starts, target - SLOT + 1)
            for k in range(first, min(first + 3, len(starts))):
                if abs(starts[k] - at) <= 45 * 60 and not self.taken[s][k] and starts[k] not in mine:
                    return s, k
        return None

    # --- write -----------------------------------------------------------------------------------------------

    def _write_appointments(self) -> None:
        rng = self.sched_rng
        ids = {name: self.base[f"scheduling_{name}"] for name in ("appointment", "appointmentevent", "queueentry")}
        self._write_schedules()
        appointments, events, queue = self.t["appointments"], self.t["appointment_events"], self.t["queue"]
        npat = self.counts.patients
        tickets: dict[tuple[int, dt.date], int] = {}

        def appointment(s: int, k: int, patient: int, status: str, booked_at: int, checked_in: int = 0) -> int:
            ids["appointment"] += 1
            department, provider, _sessions, starts = self.schedules[s]
            start, end = starts[k], starts[k] + SLOT
            outcome = {
                "checked_in": (checked_in, ""),
                "cancelled": (min(start - 3600, booked_at + rng.randint(1, 10) * DAY // 4), rng.choice(CANCEL_REASONS)),
                "no_show": (end + 1800, "Not checked in by the end"),
            }.get(status)
            when = stamp(outcome[0]) if outcome else NULL
            cancel = (when, outcome[1]) if status == "cancelled" else (NULL, "")
            appointments.add(
                f"{ids['appointment']}\t{self.patient_ids[patient]}\t{self.base_slot + self.slot_offset[s] + k + 1}\t"
                f"{department}\t{provider}\t{self._local(start)}\t{stamp(start)}\t{stamp(end)}\t{status}\t"
                f"{rng.choice(REASONS)}\t\tdesk\t{stamp(booked_at)}\t{NULL}\t"
                f"{when if status == 'checked_in' else NULL}\t{cancel[0]}\t{NULL}\t{text(cancel[1])}\t"
                f"{when if status == 'no_show' else NULL}\t{NULL}"
            )
            history = [("booked", stamp(booked_at), "Booked")]
            if outcome:
                history.append((status, when, outcome[1]))
            for kind, at, detail in history:
                ids["appointmentevent"] += 1
                events.add(
                    f"{ids['appointmentevent']}\t{ids['appointment']}\t{kind}\t{at}\t{NULL}\t{NULL}\t{text(detail)}"
                )
            return ids["appointment"]

        def other_patient(start: int) -> int:
            """Someone without a live appointment at that time (-1: none found quickly)."""
            for _ in range(5):
                patient = int(npat * rng.random() ** 1.8)
                if start not in self.live.get(patient, ()):
                    return patient
            return -1

        for i, (at, end, kind, department, patient, attending) in enumerate(self.encounters):
            if kind != "outpatient" or end is None:
                continue
            booked = self.booking_of.get(i)
            appointment_id, provider = NULL, NULL
            code = self.department_code[department]
            if booked:
                s, k = booked
                start, provider = self.schedules[s][3][k], self.schedules[s][1]
                appointment_id = appointment(s, k, patient, "checked_in", start - rng.randint(1, 40) * DAY, at)
                # Beside an attended booking, now and then a no-show or a cancellation in that clinic that day.
                for status, chance in (("no_show", NO_SHOW.get(code, DEFAULT_NO_SHOW)), ("cancelled", CANCELLED)):
                    if rng.random() < chance:
                        j = self._free_same_day(rng, s, k)
                        if j is not None and (who := other_patient(self.schedules[s][3][j])) >= 0:
                            self.taken[s][j] |= status == "no_show"  # a no-show used the slot up
                            appointment(s, j, who, status, self.schedules[s][3][j] - rng.randint(1, 30) * DAY)
            day = self._local(at)
            tickets[(department, day)] = ticket = tickets.get((department, day), 0) + 1
            wait = min(int(rng.gammavariate(2.0, 6.0 * BUSIER.get(code, 1.0)) * 60), max(0, end - at - 300))
            priority = "emergency" if rng.random() < 0.005 else "elderly" if rng.random() < ELDERLY else "normal"
            head = (
                f"{ids['queueentry'] + 1}\t{department}\t{self.patient_ids[patient]}\t{self.enc_base + i + 1}\t"
                f"{appointment_id}\t{provider}\t{day}\t{ticket}\t{priority}"
            )
            ids["queueentry"] += 1
            if not booked and rng.random() < LEFT_UNSEEN:
                queue.add(
                    f"{head}\tleft\t{stamp(at)}\t{NULL}\t{NULL}\t\t{NULL}\t{stamp(end)}\tLeft before being called"
                )
            else:
                seen = at + wait
                queue.add(
                    f"{head}\tdone\t{stamp(at)}\t{stamp(max(at, seen - 60))}\t{attending}\t{rng.randint(1, 12)}\t"
                    f"{stamp(seen)}\t{stamp(end)}\t"
                )
        self._write_future(appointment, other_patient)
        self._write_slots()

    def _free_same_day(self, rng, s: int, k: int) -> int | None:
        starts, day = self.schedules[s][3], self._local(self.schedules[s][3][k])
        free = [j for j in range(max(0, k - 16), min(len(starts), k + 16)) if not self.taken[s][j]]
        free = [j for j in free if self._local(starts[j]) == day and starts[j] < self.cutoff]
        return rng.choice(free) if free else None

    def _write_future(self, appointment, other_patient) -> None:
        """Bookings from the start of `as_of` on: most of the next days' slots, fewer further ahead."""
        rng = self.sched_rng
        for s, (_department, _provider, _sessions, starts) in enumerate(self.schedules):
            for k in range(bisect.bisect_left(starts, self.cutoff), len(starts)):
                ahead = (starts[k] - self.cutoff) / DAY
                if rng.random() < 0.9 - 0.025 * ahead and (patient := other_patient(starts[k])) >= 0:
                    self.taken[s][k] = 1
                    self.live.setdefault(patient, set()).add(starts[k])
                    booked_at = self.cutoff - rng.randint(1, 20) * DAY // 2
                    appointment(s, k, patient, "booked", min(booked_at, starts[k] - 3600))

    def _write_schedules(self) -> None:
        names = {self.departments[code]: name for code, name, _kinds, _weight in catalog.DEPARTMENTS}
        schedule_id, rule_id = self.base["scheduling_schedule"], self.base["scheduling_schedulerule"]
        self.base_slot = self.base["scheduling_slot"]
        created = stamp(self.start)
        for n, (department, provider, sessions, _starts) in enumerate(self.schedules):
            schedule_id += 1
            name = f"{names[department]} clinic {n + 1}"
            self.t["schedules"].add(
                f"{schedule_id}\t{department}\t{provider}\t{text(name)}\t15\t1\t{self.days[0]}\t{NULL}\tt\t{created}"
            )
            for weekday, hour in sorted(sessions):
                rule_id += 1
                end = hour + SLOTS_PER_SESSION * SLOT // 3600
                self.t["rules"].add(f"{rule_id}\t{schedule_id}\t{weekday}\t{hour:02d}:00:00\t{end:02d}:00:00")
        self.schedule_base = self.base["scheduling_schedule"]

    def _write_slots(self) -> None:
        stream = self.t["slots"]
        for s, (department, provider, _sessions, starts) in enumerate(self.schedules):
            schedule_id = self.schedule_base + s + 1
            base = self.base_slot + self.slot_offset[s]
            taken = self.taken[s]
            for k, start in enumerate(starts):
                stream.add(
                    f"{base + k + 1}\t{schedule_id}\t{department}\t{provider}\t{self._local(start)}\t{stamp(start)}\t"
                    f"{stamp(start + SLOT)}\t1\t{taken[k]}\tf\t"
                )
