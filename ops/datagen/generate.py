"""A deterministic hospital: patients, encounters, diagnoses, invoices, payments, stock and dispenses.

The same seed, scale and `as_of` date give the same rows. History runs for three years up to the start of
`as_of` (today belongs to the live system); volume grows over time and outpatient clinics are quieter at
weekends. Patients with a chronic condition come back for it. Each encounter gets one invoice: drafts for
encounters still open, otherwise issued at discharge and numbered per year in issue order; payers pay
after their usual delay (so recent invoices are still open), some pay in part, some never, a few are
credited or voided, and what is still unpaid after a year is written off with a credit note. Dispenses
take from the batch that expires first and charge a line on the invoice; every batch's stock equals its
movements. Every CHECK constraint of the write model holds.
"""

import bisect
import datetime as dt
import itertools
import math
import random
import time
from array import array
from dataclasses import dataclass, fields, replace
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from billing.models import InvoiceCounter, Payer, Service
from clinical.commands import MRN_SEQUENCE
from clinical.models import Department
from ops.datagen import catalog
from ops.datagen.loader import NULL, Loader

DAY = 86_400
YEARS = 3
GENERATED_DRUG_PREFIX = "GD"


@dataclass(frozen=True)
class Counts:
    patients: int = 200_000
    encounters: int = 1_000_000  # one invoice each
    lines: int = 3_000_000
    diagnoses: int = 1_200_000
    drugs: int = 2_000
    batches: int = 20_000
    dispenses: int = 1_000_000
    vitals: int = 700_000  # encounters with a set of vital signs

    def scaled(self, scale: float) -> "Counts":
        minimum = {
            "patients": 50,
            "encounters": 100,
            "lines": 300,
            "diagnoses": 120,
            "drugs": 20,
            "batches": 60,
            "dispenses": 80,
            "vitals": 70,
        }
        return replace(
            self, **{f.name: max(minimum[f.name], round(getattr(self, f.name) * scale)) for f in fields(self)}
        )


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(seconds))


def day_of(seconds: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text(value: str) -> str:
    """A string as a COPY text field."""
    return value.translate(COPY_ESCAPES)


def cents_of(value: Decimal) -> int:
    return int(Decimal(value) * 100)


class Weighted:
    """Draws from a fixed list by relative weight (bisect over the cumulative weights)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


class Hospital:
    def __init__(self, counts: Counts, *, seed: int, as_of: dt.date, say):
        self.counts, self.seed, self.say = counts, seed, say
        self.rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
        self.cutoff = int(dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC).timestamp())
        self.start = self.cutoff - YEARS * 365 * DAY
        self.stats: dict[str, int] = {}

    # --- reference data, through the ORM (small) --------------------------------------------------------

    def reference(self) -> None:
        with transaction.atomic(using="default"):
            self.departments = {
                code: Department.objects.get_or_create(code=code, defaults={"name": name})[0].pk
                for code, name, _types, _weight in catalog.DEPARTMENTS
            }
            self.payers = []
            for name, kind, terms, _share, lag in catalog.PAYERS:
                payer = Payer.objects.get_or_create(name=name, defaults={"kind": kind, "payment_terms_days": terms})[0]
                self.payers.append((payer.pk, payer.kind, payer.payment_terms_days, lag))
            self.patient_payer = Weighted(range(len(self.payers)), [p[3] for p in catalog.PAYERS])
            self.services: dict[str, tuple[int, int, str]] = {}  # code -> (id, price cents, name)
            self.department_services: dict[str, list[str]] = {}
            for dep, items in catalog.SERVICES.items():
                for code, name, price in items:
                    service = Service.objects.get_or_create(
                        code=code, defaults={"name": name, "department_id": self.departments[dep], "price": price}
                    )[0]
                    self.services[code] = (service.pk, cents_of(service.price), service.name)
                    self.department_services.setdefault(dep, []).append(code)
            self.clinicians = self._staff("gen_dr_", 80, "clinician")
            self.pharmacists = self._staff("gen_ph_", 10, "pharmacist")
            cursor = connection.cursor()
            cursor.execute("SELECT code, description FROM clinical_icd10code WHERE billable ORDER BY code")
            self.icd = dict(cursor.fetchall())

    def _staff(self, prefix: str, number: int, role: str) -> list[int]:
        group = Group.objects.get(name=role)
        ids = []
        for n in range(1, number + 1):
            user, created = User.objects.get_or_create(
                username=f"{prefix}{n:03d}", defaults={"first_name": role.title(), "last_name": f"{n:03d}"}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(group)
            ids.append(user.pk)
        return ids

    def _next_ids(self, tables) -> dict[str, int]:
        cursor = connection.cursor()
        ids = {}
        for table in tables:
            cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # noqa: S608 (constant table names)
            ids[table] = cursor.fetchone()[0]
        return ids

    # --- the run ------------------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        self.reference()
        if self._already_generated():
            raise RuntimeError("Generated data is already here; run with --reset to replace it.")
        c = self.counts
        base = self._next_ids(
            [
                "clinical_patient",
                "clinical_encounter",
                "clinical_diagnosis",
                "billing_invoice",
                "billing_invoiceline",
                "billing_payment",
                "billing_creditnote",
                "pharmacy_drug",
                "pharmacy_stockbatch",
                "pharmacy_prescription",
                "pharmacy_dispense",
                "pharmacy_dispenseallocation",
                "pharmacy_stockmovement",
                "clinical_vitals",
                "clinical_labresult",
            ]
        )
        self.base = base
        self._plan_patients()
        self._plan_drugs()
        self._plan_encounters()
        expected_payments = round(c.encounters * 0.8)
        with Loader() as load:
            t = {
                "patients": load.open(
                    "clinical_patient",
                    (
                        "id",
                        "mrn",
                        "given_name",
                        "family_name",
                        "date_of_birth",
                        "sex",
                        "phone",
                        "address",
                        "created_at",
                        "updated_at",
                    ),
                    c.patients,
                ),
                "encounters": load.open(
                    "clinical_encounter",
                    (
                        "id",
                        "patient_id",
                        "type",
                        "department_id",
                        "attending_id",
                        "status",
                        "started_at",
                        "ended_at",
                        "reason",
                    ),
                    c.encounters,
                ),
                "diagnoses": load.open(
                    "clinical_diagnosis",
                    (
                        "id",
                        "encounter_id",
                        "icd10_code",
                        "description",
                        "is_primary",
                        "recorded_at",
                        "recorded_by_id",
                        "resolved_at",
                    ),
                    c.diagnoses,
                ),
                "drugs": load.open(
                    "pharmacy_drug",
                    (
                        "id",
                        "code",
                        "generic_name",
                        "form",
                        "strength",
                        "unit",
                        "unit_price",
                        "reorder_level",
                        "ingredients",
                        "active",
                    ),
                    c.drugs,
                ),
                "batches": load.open(
                    "pharmacy_stockbatch",
                    ("id", "drug_id", "lot_number", "expiry_date", "quantity_on_hand", "unit_cost", "received_at"),
                    c.batches,
                ),
                "invoices": load.open(
                    "billing_invoice",
                    (
                        "id",
                        "number",
                        "patient_id",
                        "encounter_id",
                        "payer_id",
                        "status",
                        "posting_date",
                        "due_date",
                        "subtotal",
                        "discount_total",
                        "total",
                        "amount_paid",
                        "amount_credited",
                        "notes",
                        "created_at",
                        "created_by_id",
                        "issued_at",
                        "voided_at",
                        "void_reason",
                    ),
                    c.encounters,
                ),
                "lines": load.open(
                    "billing_invoiceline",
                    (
                        "id",
                        "invoice_id",
                        "service_id",
                        "description",
                        "quantity",
                        "unit_price",
                        "discount",
                        "line_total",
                    ),
                    c.lines,
                ),
                "prescriptions": load.open(
                    "pharmacy_prescription",
                    (
                        "id",
                        "encounter_id",
                        "drug_id",
                        "dose",
                        "frequency",
                        "duration_days",
                        "quantity",
                        "quantity_dispensed",
                        "prescriber_id",
                        "status",
                        "notes",
                        "prescribed_at",
                    ),
                    c.dispenses,
                ),
                "dispenses": load.open(
                    "pharmacy_dispense",
                    (
                        "id",
                        "prescription_id",
                        "quantity",
                        "dispensed_by_id",
                        "dispensed_at",
                        "allergy_override_reason",
                        "allergy_override_by_id",
                        "invoice_line_id",
                    ),
                    c.dispenses,
                ),
                "allocations": load.open(
                    "pharmacy_dispenseallocation", ("id", "dispense_id", "batch_id", "quantity"), c.dispenses
                ),
                "movements": load.open(
                    "pharmacy_stockmovement",
                    (
                        "id",
                        "batch_id",
                        "kind",
                        "quantity",
                        "reason",
                        "note",
                        "dispense_id",
                        "created_at",
                        "created_by_id",
                    ),
                    c.dispenses + c.batches,
                ),
                "payments": load.open(
                    "billing_payment",
                    ("id", "invoice_id", "amount", "method", "reference", "paid_on", "received_at", "received_by_id"),
                    expected_payments,
                ),
                "credits": load.open(
                    "billing_creditnote",
                    ("id", "invoice_id", "amount", "reason", "credited_on", "created_at", "created_by_id"),
                    round(c.encounters * 0.12),
                ),
            }
            t["vitals"] = load.open(
                "clinical_vitals",
                (
                    "id",
                    "encounter_id",
                    "recorded_at",
                    "recorded_by_id",
                    "pulse",
                    "systolic",
                    "diastolic",
                    "temperature",
                    "spo2",
                    "respiratory_rate",
                    "weight",
                ),
                c.vitals,
            )
            t["labs"] = load.open(
                "clinical_labresult",
                (
                    "id",
                    "encounter_id",
                    "patient_id",
                    "test_code",
                    "test_name",
                    "value",
                    "unit",
                    "reference_low",
                    "reference_high",
                    "flag",
                    "resulted_at",
                    "recorded_at",
                    "recorded_by_id",
                ),
                round(c.encounters * 0.45),
            )
            self.t = t
            self._write_patients()
            self._write_drugs()
            self._write_encounters_and_diagnoses()
            self._write_vitals_and_labs()
            self._write_billing_and_dispenses()
            self._write_batches_and_receipts()
            self.say("committing (foreign keys are checked now)")
            load.commit(self.say)
            self.stats = {name: stream.rows for name, stream in t.items()}
        self._finish_sequences()
        return self.stats

    def _already_generated(self) -> bool:
        from pharmacy.models import Drug

        return Drug.objects.filter(code__startswith=GENERATED_DRUG_PREFIX).exists()

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
        today = time.gmtime(self.cutoff)
        for i, pid in enumerate(self.patient_ids):
            sex = "female" if rng.random() < 0.52 else "male"
            age = min(100, int(rng.triangular(0, 95, 38)))
            born = dt.date(today.tm_year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
            created = self.start - rng.randint(0, 10 * 365) * DAY
            house = rng.randint(1, 250)
            stream.add(
                f"{pid}\tMRN{first_mrn + i:08d}\t{rng.choice(given)}\t{family_w.draw(rng)}\t{born}\t{sex}\t"
                f"+1-555-{rng.randint(1000000, 9999999)}\t{house} {rng.choice(catalog.STREETS)}\t"
                f"{stamp(created)}\t{stamp(created)}"
            )
        cursor.execute("SELECT setval(%s, %s)", [MRN_SEQUENCE, first_mrn + len(self.patient_ids)])

    # --- formulary ----------------------------------------------------------------------------------------

    def _plan_drugs(self) -> None:
        rng, n = self.rng, self.counts.drugs
        variants = [
            (generic, strength, form, price, qty)
            for generic, strengths, forms, price, qty in catalog.DRUGS
            for strength in strengths
            for form in forms
        ]
        self.drugs = []  # (id, name for the line, price cents, usual quantity, batches [(id, received, expiry)])
        self.drug_rows = []
        for i in range(n):
            generic, strength, form, price, qty = variants[i % len(variants)]
            supplier = i // len(variants)
            price_cents = max(1, round(cents_of(Decimal(price)) * (1 + 0.07 * (supplier % 5) - 0.1)))
            ingredients = ",".join(f'"{part.lower()}"' for part in generic.split(" and "))
            drug_id = self.base["pharmacy_drug"] + i + 1
            self.drug_rows.append(
                f"{drug_id}\t{GENERATED_DRUG_PREFIX}{i + 1:05d}\t{generic}\t{form}\t{strength}\t"
                f"{catalog.UNIT_OF_FORM[form]}\t{money(price_cents)}\t{qty * 10}\t{{{ingredients}}}\tt"
            )
            self.drugs.append((drug_id, f"{generic} {strength} {form}", price_cents, qty, []))
        # Popularity falls off with rank; suppliers of the same product share its popularity.
        self.drug_pick = Weighted(range(n), [1 / ((i % len(variants)) + 1) ** 0.9 for i in range(n)])
        # Batches: each drug is restocked at even intervals; shelf life about two years.
        per_drug, extra = divmod(self.counts.batches, n)
        batch_id = self.base["pharmacy_stockbatch"]
        first = self.start - 60 * DAY
        for index, drug in enumerate(self.drugs):
            count = per_drug + (1 if index < extra else 0)
            interval = (self.cutoff - first) / max(count, 1)
            for k in range(count):
                batch_id += 1
                received = int(first + k * interval) + rng.randint(0, 5) * DAY
                expiry = received + (730 + rng.randint(0, 120)) * DAY
                drug[4].append([batch_id, received, expiry, 0])  # allocated so far
        self.rng_batches = random.Random(self.seed + 1)  # noqa: S311

    def _write_drugs(self) -> None:
        for row in self.drug_rows:
            self.t["drugs"].add(row)

    def _batch_for(self, drug, at: int):
        """First expiry, first out: the oldest batch already received and good for another month."""
        usable = [b for b in drug[4] if b[1] <= at and b[2] > at + 30 * DAY]
        return usable[0] if usable else drug[4][0]

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

    # --- vital signs and laboratory results -------------------------------------------------------------

    def _write_vitals_and_labs(self) -> None:
        """Vital signs at most encounters (hypertensive patients run higher, about half of them controlled);
        HbA1c at most visits of diabetic patients (about half below 7 %); a panel at some other visits."""
        from clinical import lab_tests

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

    # --- billing and dispensing -------------------------------------------------------------------------------

    def _spread(self, total: int, weights: list[float]) -> array:
        """`total` items over len(weights) slots, exactly, drawn by weight."""
        counts = array("H", bytes(2 * len(weights)))
        for slot in self.rng.choices(range(len(weights)), weights=weights, k=total):
            counts[slot] += 1
        return counts

    def _service_lines(self, rng, i: int, at: int, end: int | None, kind: str, department: int, extra: int):
        """[(service code, quantity)] for one encounter: its visit (or ward days), then tests and procedures."""
        dep = self.department_code[department]
        own = self.department_services[dep]
        if kind == "inpatient":
            days = max(1, round(((end or self.cutoff) - at) / DAY))
            items = [(catalog.WARD_DAY.get(dep, "WARD-DAY"), days)]
        else:
            items = [(own[0], 1)]
        for _ in range(extra):
            pool = rng.random()
            if pool < 0.45:
                code = rng.choice(self.department_services["LAB"])
            elif pool < 0.65:
                code = rng.choice(self.department_services["RAD"])
            else:
                code = rng.choice(own)
            items.append((code, 1))
        return items

    def _write_billing_and_dispenses(self) -> None:
        rng = self.rng
        c, n = self.counts, len(self.encounters)
        weight = {"outpatient": 1.0, "emergency": 1.6, "inpatient": 4.0}
        kinds = [e[2] for e in self.encounters]
        dispenses_of = self._spread(c.dispenses, [weight[k] for k in kinds])
        extra_lines_of = self._spread(max(0, c.lines - n - c.dispenses), [weight[k] for k in kinds])
        # Bill in order of discharge, so that numbers follow issue order within each year.
        order = sorted(range(n), key=lambda i: self.encounters[i][1] or self.encounters[i][0])
        cursor = connection.cursor()
        cursor.execute("SELECT year, last_number FROM billing_invoicecounter")
        self.counters = dict(cursor.fetchall())
        ids = {
            k: self.base[t]
            for k, t in (
                ("invoice", "billing_invoice"),
                ("line", "billing_invoiceline"),
                ("payment", "billing_payment"),
                ("credit", "billing_creditnote"),
                ("rx", "pharmacy_prescription"),
                ("dispense", "pharmacy_dispense"),
                ("alloc", "pharmacy_dispenseallocation"),
                ("move", "pharmacy_stockmovement"),
            )
        }
        t = self.t
        for i in order:
            at, end, kind, department, patient, attending = self.encounters[i]
            eid = self.enc_base + i + 1
            ids["invoice"] += 1
            invoice_id = ids["invoice"]
            subtotal = discount_total = 0
            for code, quantity in self._service_lines(rng, i, at, end, kind, department, extra_lines_of[i]):
                service_id, price, name = self.services[code]
                gross = price * quantity
                discount = gross // 10 if rng.random() < 0.04 else 0
                subtotal += gross
                discount_total += discount
                ids["line"] += 1
                t["lines"].add(
                    f"{ids['line']}\t{invoice_id}\t{service_id}\t{name}\t{quantity}\t{money(price)}\t"
                    f"{money(discount)}\t{money(gross - discount)}"
                )
            last = (end or self.cutoff) - 60
            for _ in range(dispenses_of[i]):
                drug = self.drugs[self.drug_pick.draw(rng)]
                drug_id, label, price, usual, _batches = drug
                quantity = max(1, round(usual * rng.uniform(0.5, 1.5)))
                given = min(last, at + rng.randint(20 * 60, max(20 * 60, last - at)))
                batch = self._batch_for(drug, given)
                batch[3] += quantity
                ids["line"] += 1
                subtotal += price * quantity
                t["lines"].add(
                    f"{ids['line']}\t{invoice_id}\t{NULL}\t{label}\t{quantity}\t{money(price)}\t0.00\t"
                    f"{money(price * quantity)}"
                )
                ids["rx"] += 1
                ids["dispense"] += 1
                ids["alloc"] += 1
                ids["move"] += 1
                t["prescriptions"].add(
                    f"{ids['rx']}\t{eid}\t{drug_id}\t1 {label.split()[-1]}\t{rng.choice(catalog.FREQUENCIES)}\t"
                    f"{rng.randint(3, 30)}\t{quantity}\t{quantity}\t{attending}\tdispensed\t\t{stamp(given - 900)}"
                )
                t["dispenses"].add(
                    f"{ids['dispense']}\t{ids['rx']}\t{quantity}\t{rng.choice(self.pharmacists)}\t"
                    f"{stamp(given)}\t\t{NULL}\t{ids['line']}"
                )
                t["allocations"].add(f"{ids['alloc']}\t{ids['dispense']}\t{batch[0]}\t{quantity}")
                t["movements"].add(
                    f"{ids['move']}\t{batch[0]}\tdispense\t{-quantity}\t\t\t{ids['dispense']}\t{stamp(given)}\t{NULL}"
                )
            self._write_invoice(rng, ids, invoice_id, eid, patient, at, end, subtotal, discount_total)
        self.ids = ids

    def _write_invoice(self, rng, ids, invoice_id, eid, patient, at, end, subtotal, discount_total) -> None:
        payer_id, payer_kind, terms, lag = self.payers[self.patient_payer_of[patient]]
        total = subtotal - discount_total
        pid = self.patient_ids[patient]
        if end is None:  # still in hospital: a draft
            posting = at - at % DAY
            self.t["invoices"].add(
                f"{invoice_id}\t{NULL}\t{pid}\t{eid}\t{payer_id}\tdraft\t{day_of(posting)}\t"
                f"{day_of(posting + terms * DAY)}\t{money(subtotal)}\t{money(discount_total)}\t{money(total)}\t"
                f"0.00\t0.00\t\t{stamp(at)}\t{NULL}\t{NULL}\t{NULL}\t"
            )
            return
        posting = end - end % DAY
        issued = end + 300
        year = time.gmtime(posting).tm_year
        self.counters[year] = self.counters.get(year, 0) + 1
        number = f"INV-{year}-{self.counters[year]:06d}"
        last_day = self.cutoff - DAY  # the last day of history
        due = day_of(posting + terms * DAY)
        common = (
            f"{invoice_id}\t{number}\t{pid}\t{eid}\t{payer_id}\t{{status}}\t{day_of(posting)}\t{due}\t"
            f"{money(subtotal)}\t{money(discount_total)}\t{money(total)}\t"
        )
        voided_at = issued + rng.randint(1, 10) * DAY
        if rng.random() < 0.015 and voided_at < self.cutoff:
            self.t["invoices"].add(
                common.format(status="void") + f"0.00\t0.00\t\t{stamp(at)}\t{NULL}\t{stamp(issued)}\t"
                f"{stamp(voided_at)}\tRaised in error"
            )
            return
        credited = 0
        if rng.random() < 0.03:
            on = posting + rng.randint(5, 40) * DAY
            if on <= last_day:
                credited = total if rng.random() < 0.3 else max(1, round(total * rng.uniform(0.1, 0.5)))
                ids["credit"] += 1
                self.t["credits"].add(
                    f"{ids['credit']}\t{invoice_id}\t{money(credited)}\t"
                    f"{rng.choice(('Billing error', 'Goodwill', 'Insurer adjustment'))}\t"
                    f"{day_of(on)}\t{stamp(on + 10 * 3600)}\t{NULL}"
                )
        due_amount, paid = total - credited, 0
        outcome = rng.random()
        if due_amount > 0 and outcome < 0.82:
            pay_on = posting + rng.randint(*lag) * DAY
            amounts = []
            if outcome < 0.72:  # in full, sometimes in two instalments
                if rng.random() < 0.1 and due_amount > 1:
                    first = max(1, round(due_amount * rng.uniform(0.3, 0.7)))
                    amounts = [(first, pay_on), (due_amount - first, pay_on + rng.randint(10, 40) * DAY)]
                else:
                    amounts = [(due_amount, pay_on)]
            else:  # in part
                amounts = [(max(1, round(due_amount * rng.uniform(0.2, 0.8))), pay_on)]
            for amount, on in amounts:
                if on > last_day:
                    break
                method = (
                    "insurance"
                    if payer_kind != "self_pay"
                    else rng.choice(("cash", "card", "card", "mobile", "bank_transfer"))
                )
                ids["payment"] += 1
                self.t["payments"].add(
                    f"{ids['payment']}\t{invoice_id}\t{money(amount)}\t{method}\t"
                    f"R{ids['payment']:08d}\t{day_of(on)}\t{stamp(on + 11 * 3600)}\t{NULL}"
                )
                paid += amount
        written_off_on = posting + (365 + rng.randint(0, 45)) * DAY
        if paid + credited < total and written_off_on <= last_day:  # a year unpaid: written off as bad debt
            remainder = total - paid - credited
            credited += remainder
            ids["credit"] += 1
            self.t["credits"].add(
                f"{ids['credit']}\t{invoice_id}\t{money(remainder)}\tBad debt written off\t{day_of(written_off_on)}\t"
                f"{stamp(written_off_on + 10 * 3600)}\t{NULL}"
            )
        if paid + credited == total:
            status = "paid"
        elif paid > 0:
            status = "partially_paid"
        else:
            status = "issued"
        self.t["invoices"].add(
            common.format(status=status) + f"{money(paid)}\t{money(credited)}\t\t{stamp(at)}\t{NULL}\t"
            f"{stamp(issued)}\t{NULL}\t"
        )

    def _write_batches_and_receipts(self) -> None:
        rng = self.rng_batches
        move = self.ids["move"]
        for drug_id, _label, price, _usual, batches in self.drugs:
            for k, (batch_id, received, expiry, allocated) in enumerate(batches):
                leftover = rng.randint(0, 30) * 10
                received_qty = allocated + leftover or 100
                on_hand = received_qty - allocated
                move += 1
                self.t["movements"].add(
                    f"{move}\t{batch_id}\treceipt\t{received_qty}\t\t\t{NULL}\t{stamp(received)}\t{NULL}"
                )
                if expiry < self.cutoff and on_hand:  # written off when it expired
                    move += 1
                    self.t["movements"].add(
                        f"{move}\t{batch_id}\tadjustment\t{-on_hand}\texpired\t"
                        f"Expired stock destroyed\t{NULL}\t{stamp(expiry)}\t{NULL}"
                    )
                    on_hand = 0
                self.t["batches"].add(
                    f"{batch_id}\t{drug_id}\tL{drug_id}-{k + 1:03d}\t{day_of(expiry)}\t{on_hand}\t"
                    f"{money(price * 6 // 10)}\t{stamp(received)}"
                )

    # --- after the load -------------------------------------------------------------------------------------

    def _finish_sequences(self) -> None:
        with transaction.atomic(using="default"):
            cursor = connection.cursor()
            for table in self.base:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
            for year, last in self.counters.items():
                InvoiceCounter.objects.update_or_create(year=year, defaults={"last_number": last})


WRITE_MODEL_TABLES = (
    "pharmacy_stockmovement",
    "pharmacy_dispenseallocation",
    "pharmacy_dispense",
    "pharmacy_prescription",
    "pharmacy_stockbatch",
    "pharmacy_drug",
    "billing_creditnote",
    "billing_payment",
    "billing_invoiceline",
    "billing_invoice",
    "billing_invoicecounter",
    "clinical_labresult",
    "clinical_vitals",
    "clinical_allergy",
    "clinical_diagnosis",
    "clinical_encounter",
    "clinical_patient",
    "hmis_outboxevent",
)


def reset() -> None:
    """Empty the write model's tables (reference data, users and the ICD-10-CM list stay)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(WRITE_MODEL_TABLES)} CASCADE")
