"""Wards, beds and three years of admissions (the part of `Hospital` that puts its inpatients in beds).

Each inpatient department gets beds by its share of inpatients (`Counts.beds` in all), in wards of at most
`WARD_SIZE`; obstetrics wards take women only. Inpatient encounters are admitted in order of arrival to the
bed of their department's wards that has been free longest (two hours' cleaning after each patient), else
to any ward with a free bed (an outlier), else not at all; a patient already in a bed is not admitted
twice. About one stay in ten is transferred part-way. Every midnight a patient spends in a bed is a
bed-day charge, billed (in generated history) by the ward-day line of the encounter's invoice. At the end
of history the beds are occupied, being cleaned (left in the last two hours), out of service (a few),
held for a patient waiting, or free; inpatients who found no bed wait in the queue.

It draws from a generator of its own, so adding it changed none of the other parts' rows.
"""

import heapq
import math
import random
from collections import defaultdict

from inpatient.models import Ward
from ops.datagen import catalog
from ops.datagen.loader import NULL
from ops.datagen.rows import DAY, money, stamp

WARD_SIZE = 28
CLEANING = 2 * 3600
TRANSFER_SHARE = 0.1
OUT_OF_SERVICE_SHARE = 0.01
NEVER = math.inf


class Wards:
    # --- reference: wards (through the ORM, kept across --reset like departments and payers) ---------------

    def _reference_wards(self) -> None:
        inpatient = [(code, name, weight) for code, name, kinds, weight in catalog.DEPARTMENTS if "inpatient" in kinds]
        total = sum(weight for _, _, weight in inpatient)
        self.wards = []  # (ward id, department id, beds, price cents, sex policy)
        for code, name, weight in inpatient:
            beds = max(2, round(self.counts.beds * weight / total))
            count = math.ceil(beds / WARD_SIZE)
            price = self.services[catalog.WARD_DAY.get(code, "WARD-DAY")][1]
            for n in range(count):
                size = beds // count + (1 if n < beds % count else 0)
                ward, _ = Ward.objects.get_or_create(
                    code=f"{code}-{n + 1}",
                    defaults={
                        "name": f"{name} ward {n + 1}",
                        "department_id": self.departments[code],
                        "sex_policy": "female" if code == "OBG" else "any",
                        "bed_day_price": money(price),
                    },
                )
                self.wards.append((ward.pk, self.departments[code], size, price, ward.sex_policy))

    # --- admissions --------------------------------------------------------------------------------------------

    def _write_wards_and_admissions(self) -> None:
        rng = random.Random(self.seed + 23)  # noqa: S311 (synthetic data, not security)
        t = self.t
        bed_id = self.base["inpatient_bed"]
        beds = []  # (bed id, ward index)
        free = []  # per ward: heap of (free from, bed number)
        for w, (_ward, _department, size, _price, _sex) in enumerate(self.wards):
            free.append([])
            for _ in range(size):
                bed_id += 1
                heapq.heappush(free[w], (self.start, len(beds)))
                beds.append((bed_id, w))
        by_department = defaultdict(list)
        for w, ward in enumerate(self.wards):
            by_department[ward[1]].append(w)
        last = [(self.start, None, None)] * len(beds)  # per bed: (last change, assignment id or None, ended)
        busy_until = {}  # patient -> when their stay ends
        ids = {k: self.base[table] for k, table in (
            ("admission", "inpatient_admission"), ("assignment", "inpatient_bedassignment"),
            ("charge", "inpatient_beddaycharge"), ("request", "inpatient_admissionrequest"),
        )}  # fmt: skip
        waiting = []  # (encounter index, department) of open encounters that found no bed
        sex_of = self.patient_sex

        def take(w: int, at: int):
            return self._take(free, w, at)

        def wards_for(department: int, patient: int) -> list[int]:
            own = [w for w in by_department[department] if self._takes(w, sex_of[patient])]
            others = [w for w in range(len(self.wards)) if w not in own and self._takes(w, sex_of[patient])]
            return own + others

        for i, (at, end, kind, department, patient, attending) in enumerate(self.encounters):
            if kind != "inpatient" or busy_until.get(patient, 0) > at:
                continue
            admitted = at + rng.randint(10, 120) * 60  # the time from arrival to a bed
            leaves = end if end is not None else NEVER
            bed = next((b for w in wards_for(department, patient) if (b := take(w, admitted)) is not None), None)
            if bed is None:
                if end is None:
                    waiting.append((i, department))
                continue
            busy_until[patient] = leaves
            eid, pid = self.enc_base + i + 1, self.patient_ids[patient]
            ids["admission"] += 1
            admission = ids["admission"]
            segments = [(bed, admitted, leaves)]
            if leaves - admitted > 2 * DAY and rng.random() < TRANSFER_SHARE:
                moved_at = (
                    admitted + int((leaves if leaves != NEVER else self.cutoff) - admitted) * rng.randint(3, 7) // 10
                )
                target = next((b for w in wards_for(department, patient) if (b := take(w, moved_at)) is not None), None)
                if target is not None:
                    segments = [(bed, admitted, moved_at), (target, moved_at, leaves)]
            if end is None:
                ordered = f"{stamp(self.cutoff - 3600)}" if rng.random() < 0.15 else NULL
                status, discharged, disposition = "admitted", NULL, "home" if ordered != NULL else ""
            else:
                ordered = stamp(end - rng.randint(1, 6) * 3600)
                status, discharged = "discharged", stamp(end)
                disposition = "home" if rng.random() < 0.93 else rng.choice(("facility", "against_advice", "died"))
            t["admissions"].add(
                f"{admission}\t{eid}\t{pid}\t{NULL}\t{status}\t{stamp(admitted)}\t{NULL}\t{ordered}\t"
                f"{attending if ordered != NULL else NULL}\t{disposition}\t\t{discharged}\t{NULL}\t{NULL}\t{NULL}\t"
            )
            line = self.ward_day_line.get(i, NULL)
            for n, (b, began, ended) in enumerate(segments):
                ids["assignment"] += 1
                assignment = ids["assignment"]
                reason = "admission" if n == 0 else "transfer"
                t["assignments"].add(
                    f"{assignment}\t{admission}\t{pid}\t{beds[b][0]}\t{reason}\t{stamp(began)}\t"
                    f"{NULL if ended == NEVER else stamp(ended)}\tf\t{NULL}"
                )
                w = beds[b][1]
                if ended != NEVER:
                    heapq.heappush(free[w], (ended, b))
                last[b] = (began if ended == NEVER else ended, assignment, ended)
                price = money(self.wards[w][3])
                midnight = began - began % DAY + (DAY if began % DAY else 0)
                while midnight < min(ended, self.cutoff + 1):
                    ids["charge"] += 1
                    t["charges"].add(
                        f"{ids['charge']}\t{admission}\t{assignment}\t{beds[b][0]}\t{self.wards[w][0]}\t"
                        f"{stamp(midnight - DAY)[:10]}\t{price}\t{line}\t{stamp(midnight + 1200)}"
                    )
                    midnight += DAY
        self._write_queue_and_beds(rng, beds, free, last, waiting, ids)

    @staticmethod
    def _take(free, w: int, at: int):
        """A bed of ward w free (and cleaned) by `at`, taken; None when there is none."""
        if not free[w] or free[w][0][0] + CLEANING > at:
            return None
        return heapq.heappop(free[w])[1]

    def _takes(self, w: int, sex: str) -> bool:
        return self.wards[w][4] == "any" or self.wards[w][4] == sex

    def _write_queue_and_beds(self, rng, beds, free, last, waiting, ids) -> None:
        """Who waits for a bed at the end of history, and every bed's status then."""
        reserved = {}
        for i, department in waiting:
            at, _end, _kind, _department, patient, attending = self.encounters[i]
            ids["request"] += 1
            request = ids["request"]
            sex = self.patient_sex[patient]
            own = [w for w in range(len(self.wards)) if self.wards[w][1] == department and self._takes(w, sex)]
            held = next((b for w in own if (b := self._take(free, w, self.cutoff)) is not None), None)
            if held is not None:
                reserved[held] = request
            priority = "urgent" if rng.random() < 0.3 else "routine"
            ward = self.wards[beds[held][1] if held is not None else own[0]][0] if own else NULL
            self.t["requests"].add(
                f"{request}\t{self.enc_base + i + 1}\t{self.patient_ids[patient]}\t{ward}\t{priority}\t\twaiting\t"
                f"{stamp(at + 600)}\t{attending}\t{NULL}"
            )
        labels = defaultdict(int)
        for b, (bed_id, w) in enumerate(beds):
            changed, _assignment, ended = last[b]
            labels[w] += 1
            if ended == NEVER:
                status, note = "occupied", ""
            elif b in reserved:
                status, note, changed = "reserved", "", self.cutoff - 600
            elif changed > self.cutoff - CLEANING:
                status, note = "cleaning", ""
            elif rng.random() < OUT_OF_SERVICE_SHARE:
                status, note, changed = "out_of_service", "Awaiting repair", self.cutoff - rng.randint(1, 20) * 3600
            else:
                status, note = "free", ""
            self.t["beds"].add(
                f"{bed_id}\t{self.wards[w][0]}\t{labels[w]}\t{status}\t{stamp(changed)}\t"
                f"{reserved.get(b, NULL)}\t{note}\t{stamp(self.start - DAY)}"
            )
