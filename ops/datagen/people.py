"""Patients, their encounters and the diagnoses made at each (the part of `Hospital` that plans who comes
when, and writes them)."""

import datetime as dt
import math
import time
from array import array

from django.db import connection

from clinical.commands import MRN_SEQUENCE
from ops.datagen import catalog
from ops.datagen.loader import NULL
from ops.datagen.rows import DAY, Weighted, stamp, text


class People:
    # --- patients -------------------------------------------------------------------------------------------

    def _plan_patients(self) -> None:
        rng, n = self.rng, self.counts.patients
        self.patient_ids = [self.base["clinical_patient"] + i + 1 for i in range(n)]
        self.patient_payer_of = array("b", (self.patient_payer.draw(rng) for _ in range(n)))
        # Chronic conditions bring patients back: hypertension, type 2 and type 1 diabetes, heart failure.
        chronic = Weighted(
            [None, "I10", "E11.9", "E11.65", "E10.9", "I11.9", "I50.9", "J44.9", "N18.30"],
            [70, 14, 7, 2, 0.7, 1.5, 1.2, 2, 1],
        )
        self.chronic_of = [chronic.draw(rng) for _ in range(n)]
        self.chronic_of = [code if code in self.icd else None for code in self.chronic_of]

    def _write_patients(self) -> None:
        rng, stream = self.rng, self.t["patients"]
        cursor = connection.cursor()
        cursor.execute("SELECT nextval(%s)", [MRN_SEQUENCE])
        first_mrn = cursor.fetchone()[0]
        given, family = catalog.GIVEN_NAMES, catalog.FAMILY_NAMES
        family_w = Weighted(family, [1 / (i + 1) ** 0.7 for i in range(len(family))])
        areas = Weighted(catalog.AREAS, [weight for _, _, weight in catalog.AREAS])
        today = time.gmtime(self.cutoff)
        self.patient_sex = []  # the wards' sex policies need it
        for i, pid in enumerate(self.patient_ids):
            sex = "female" if rng.random() < 0.52 else "male"
            self.patient_sex.append(sex)
            age = min(100, int(rng.triangular(0, 95, 38)))
            born = dt.date(today.tm_year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
            created = self.start - rng.randint(0, 10 * 365) * DAY
            house = rng.randint(1, 250)
            town, prefix, _ = areas.draw(rng)
            language = "es" if rng.random() < 0.08 else "en"
            stream.add(
                f"{pid}\tMRN{first_mrn + i:08d}\t{rng.choice(given)}\t{family_w.draw(rng)}\t{born}\t{sex}\t"
                f"+1-555-{rng.randint(1000000, 9999999)}\t{house} {rng.choice(catalog.STREETS)}\t\t{town}\t"
                f"{prefix}{rng.randint(1, 40):02d}\tUS\t{language}\t{stamp(created)}\t{stamp(created)}"
            )
        cursor.execute("SELECT setval(%s, %s)", [MRN_SEQUENCE, first_mrn + len(self.patient_ids)])

    # --- encounters and diagnoses ---------------------------------------------------------------------------

    def _plan_encounters(self) -> None:
        rng, n = self.rng, self.counts.encounters
        growth = 0.3
        span = self.cutoff - self.start
        types = Weighted(["outpatient", "emergency", "inpatient"], [70, 18, 12])
        starts = []
        for _ in range(n):
            kind = types.draw(rng)
            while True:
                u = rng.random()
                t = (-1 + math.sqrt(1 + 2 * growth * u * (1 + growth / 2))) / growth  # linear growth in volume
                day = self.start + int(t * span / DAY) * DAY
                weekday = time.gmtime(day).tm_wday
                if kind != "outpatient" or weekday < 5 or rng.random() < 0.3:
                    break
            hours = (8 * 3600, 17 * 3600) if kind == "outpatient" else (0, DAY - 1)
            at = day + rng.randint(*hours)
            starts.append((at, kind))
        starts.sort()
        by_type = {
            kind: Weighted(
                [self.departments[code] for code, _, kinds, _ in catalog.DEPARTMENTS if kind in kinds],
                [w for _, _, kinds, w in catalog.DEPARTMENTS if kind in kinds],
            )
            for kind in ("outpatient", "emergency", "inpatient")
        }
        self.department_code = {pk: code for code, pk in self.departments.items()}
        npat = self.counts.patients
        enc = self.encounters = []
        for at, kind in starts:
            if kind == "outpatient":
                end = at + rng.randint(10, 60) * 60
            elif kind == "emergency":
                end = at + rng.randint(60, 600) * 60
            else:
                end = at + (1 + min(30, int(rng.expovariate(1 / 3.5)))) * DAY + rng.randint(-6, 6) * 3600
            patient = int(npat * rng.random() ** 1.8)  # some patients come often
            department = by_type[kind].draw(rng)
            is_open = end >= self.cutoff
            enc.append((at, None if is_open else end, kind, department, patient, rng.choice(self.clinicians)))
        self.enc_base = self.base["clinical_encounter"]

    def _diagnosis_code(self, rng, kind: str, patient: int) -> str:
        chronic = self.chronic_of[patient]
        if chronic and kind != "emergency" and rng.random() < 0.45:
            return chronic
        if rng.random() < catalog.RARE_DIAGNOSIS_SHARE:
            return rng.choice(self.icd_codes)
        return self.common[kind].draw(rng)

    def _write_encounters_and_diagnoses(self) -> None:
        rng = self.rng
        self.icd_codes = list(self.icd)
        self.common = {
            kind: Weighted(
                [code for code, _ in items if code in self.icd], [w for code, w in items if code in self.icd]
            )
            for kind, items in catalog.COMMON_DIAGNOSES.items()
        }
        n = len(self.encounters)
        extra = max(0, self.counts.diagnoses - n)
        second = set(rng.sample(range(n), min(extra, n)))
        enc_stream, dx_stream = self.t["encounters"], self.t["diagnoses"]
        dx_id = self.base["clinical_diagnosis"]
        for i, (at, end, kind, department, patient, attending) in enumerate(self.encounters):
            eid = self.enc_base + i + 1
            code = self._diagnosis_code(rng, kind, patient)
            description = self.icd[code]
            enc_stream.add(
                f"{eid}\t{self.patient_ids[patient]}\t{kind}\t{department}\t{attending}\t"
                f"{'open' if end is None else 'closed'}\t{stamp(at)}\t{NULL if end is None else stamp(end)}\t"
                f"{text(description[:200])}"
            )
            dx_id += 1
            dx_stream.add(f"{dx_id}\t{eid}\t{code}\t{text(description)}\tt\t{stamp(at + 600)}\t{attending}\t{NULL}")
            if i in second:
                other = self._diagnosis_code(rng, kind, patient)
                if other == code:
                    other = self.common[kind].draw(rng)
                dx_id += 1
                dx_stream.add(
                    f"{dx_id}\t{eid}\t{other}\t{text(self.icd[other])}\tf\t{stamp(at + 900)}\t{attending}\t{NULL}"
                )
