"""Vital signs and laboratory results (the part of `Hospital` that measures its patients)."""

import random
from decimal import Decimal

from clinical import lab_tests
from ops.datagen.loader import NULL
from ops.datagen.rows import stamp


class Measurements:
    def _write_vitals_and_labs(self) -> None:
        """Vital signs at most encounters (hypertensive patients run higher, about half of them controlled);
        HbA1c at most visits of diabetic patients (about half below 7 %); a panel at some other visits."""

        rng = random.Random(self.seed + 2)  # noqa: S311
        n = len(self.encounters)
        with_vitals = set(rng.sample(range(n), min(self.counts.vitals, n)))
        hypertensive = {"I10", "I11.9", "I50.9", "N18.30"}
        diabetic = {"E11.9", "E11.65", "E10.9"}
        control = {}  # patient -> their usual HbA1c
        panel = [code for code in lab_tests.LAB_TESTS if code != lab_tests.HBA1C]
        vitals_id, lab_id = self.base["clinical_vitals"], self.base["clinical_labresult"]
        for i, (at, _end, kind, _department, patient, _attending) in enumerate(self.encounters):
            eid, pid = self.enc_base + i + 1, self.patient_ids[patient]
            chronic = self.chronic_of[patient]
            if i in with_vitals:
                mean = (144, 88) if chronic in hypertensive else (122, 77)
                systolic = max(80, min(230, round(rng.gauss(mean[0], 15))))
                diastolic = max(45, min(systolic - 20, round(rng.gauss(mean[1], 9))))
                spo2 = 98 - min(12, int(rng.expovariate(1 / 1.5))) if kind != "outpatient" else rng.randint(95, 100)
                vitals_id += 1
                self.t["vitals"].add(
                    f"{vitals_id}\t{eid}\t{stamp(at + 900)}\t{NULL}\t{max(40, min(180, round(rng.gauss(80, 14))))}\t"
                    f"{systolic}\t{diastolic}\t{rng.gauss(36.9, 0.5):.1f}\t{spo2}\t{rng.randint(12, 22)}\t"
                    f"{max(3.0, rng.gauss(74, 16)):.1f}"
                )
            tests = []
            if chronic in diabetic and rng.random() < 0.75:
                usual = control.setdefault(patient, min(13.0, max(5.2, rng.gauss(7.2, 1.1))))
                tests.append((lab_tests.HBA1C, usual + rng.gauss(0, 0.4)))
            if rng.random() < (0.5 if kind == "inpatient" else 0.2):
                tests += [(code, None) for code in rng.sample(panel, rng.randint(1, 3))]
            for code, value in tests:
                test = lab_tests.LAB_TESTS[code]
                if value is None:
                    value = self._lab_value(rng, test)
                low, high = test.plausible
                value = min(float(high), max(float(low), value))
                decimal = Decimal(f"{value:.1f}")
                flag = lab_tests.flag_for(decimal, low=test.low, high=test.high, test=test)
                lab_id += 1
                resulted = at + 7200
                self.t["labs"].add(
                    f"{lab_id}\t{eid}\t{pid}\t{code}\t{test.name}\t{decimal}\t{test.unit}\t"
                    f"{NULL if test.low is None else test.low}\t{NULL if test.high is None else test.high}\t{flag}\t"
                    f"{stamp(resulted)}\t{stamp(resulted)}\t{NULL}"
                )

    @staticmethod
    def _lab_value(rng, test) -> float:
        """Mostly within the reference range, sometimes outside, rarely beyond the critical limits."""
        low = float(test.low) if test.low is not None else None
        high = float(test.high) if test.high is not None else None
        if low is not None and high is not None:
            middle, half = (low + high) / 2, (high - low) / 2
            value = middle + half * rng.gauss(0, 0.75)
            if rng.random() < 0.005:
                value = middle + half * (6 if rng.random() < 0.5 else -6)
            return value
        if high is not None:  # only an upper limit (LDL)
            return high * rng.uniform(0.5, 1.6)
        return low * rng.uniform(0.4, 1.8)  # only a lower limit (eGFR)
