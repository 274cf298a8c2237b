"""A deterministic hospital: patients, encounters, diagnoses, invoices, payments, stock and dispenses.

The same seed, scale and `as_of` date give the same rows. History runs for three years up to the start of
`as_of` (today belongs to the live system); volume grows over time and outpatient clinics are quieter at
weekends. Patients with a chronic condition come back for it; most were asked about their allergies
(some have them). Each encounter gets one invoice: drafts for encounters still open, otherwise issued at
discharge and numbered per year in issue order; payers pay after their usual delay (so recent invoices
are still open), some pay in part, some never, a few are credited or voided, and what is still unpaid
after a year is written off with a credit note. Dispenses
take from the batch that expires first and charge a line on the invoice; every batch's stock equals its
movements. Most weekday outpatients were booked into a clinic's slot (with no-shows, cancellations and
waits in the queue, and bookings for the coming weeks: ops/datagen/appointments.py). Every CHECK and
exclusion constraint of the write model holds.

`Hospital` is assembled from one part per sub-topic (people, drugs, measurements, invoices, appointments), which share
its state: the plans made first (patients, drugs and their batches, encounters), the random generators
(`self.rng`, and one each for batches and measurements, seeded from the seed), and the streams (`self.t`).
The parts take their draws in turn from `self.rng`, so the order of the calls in `run` is part of the
output: change it and the same seed gives another hospital.
"""

import datetime as dt
import random
from dataclasses import dataclass, fields, replace

from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from billing.models import InvoiceCounter, Payer, Service
from clinical import commands as clinical
from clinical.models import Department
from ops.datagen import catalog
from ops.datagen.allergies import Allergies
from ops.datagen.appointments import Appointments
from ops.datagen.drugs import GENERATED_DRUG_PREFIX, Drugs
from ops.datagen.invoices import Invoices
from ops.datagen.loader import Loader
from ops.datagen.measurements import Measurements
from ops.datagen.people import People
from ops.datagen.rows import DAY, YEARS, Weighted, cents_of
from ops.datagen.streams import STREAMS
from ops.datagen.wards import Wards
from pharmacy.models import Drug


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
    beds: int = 1_000  # for three years of inpatients (ops/datagen/wards.py)

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
            "beds": 20,
        }
        return replace(
            self, **{f.name: max(minimum[f.name], round(getattr(self, f.name) * scale)) for f in fields(self)}
        )


class Hospital(People, Allergies, Drugs, Measurements, Invoices, Wards, Appointments):
    def __init__(self, counts: Counts, *, seed: int, as_of: dt.date, say, progress: bool = True):
        self.counts, self.seed, self.say, self.progress = counts, seed, say, progress
        self.rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
        self.cutoff = int(dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC).timestamp())
        self.start = self.cutoff - YEARS * 365 * DAY
        self.stats: dict[str, int] = {}

    def run(self) -> dict[str, int]:
        self.reference()
        if Drug.objects.filter(code__startswith=GENERATED_DRUG_PREFIX).exists():
            raise RuntimeError("Generated data is already here; run with --reset to replace it.")
        self.base = self._next_ids(table for table, _columns, _expected in STREAMS.values())
        self._plan_patients()
        self._plan_drugs()
        self._plan_encounters()
        self._plan_appointments()  # names the attending of booked outpatient encounters: before they are written
        with Loader(progress=self.progress) as load:
            self.t = {
                name: load.open(table, tuple(columns.split()), expected(self.counts))
                for name, (table, columns, expected) in STREAMS.items()
            }
            self._write_patients()
            self._write_allergies()
            self._write_drugs()
            self._write_encounters_and_diagnoses()
            self._write_vitals_and_labs()
            self._write_billing_and_dispenses()
            self._write_batches_and_receipts()
            self._write_wards_and_admissions()
            self._write_appointments()
            self.say("committing (foreign keys are checked now)")
            load.commit(self.say)
            self.stats = {name: stream.rows for name, stream in self.t.items()}
        self._finish_sequences()
        self.stats["problems"] = clinical.problem_list_from_diagnoses()  # the problem list the diagnoses imply
        return self.stats

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
            self._reference_wards()

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
        """The largest id of each table so far: generated rows take the ids after it."""
        cursor = connection.cursor()
        ids = {}
        for table in tables:
            cursor.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")  # noqa: S608 (constant table names)
            ids[table] = cursor.fetchone()[0]
        return ids

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
    "inpatient_beddaycharge",
    "inpatient_bedassignment",
    "inpatient_admission",
    "inpatient_bed",
    "inpatient_admissionrequest",
    "scheduling_queueentry",
    "scheduling_appointmentevent",
    "scheduling_appointment",
    "scheduling_slot",
    "scheduling_scheduleexception",
    "scheduling_schedulerule",
    "scheduling_schedule",
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
    "clinical_allergystatement",
    "clinical_allergy",
    "clinical_diagnosis",
    "clinical_encounter",
    "clinical_patient",
    "hmis_outboxevent",
)


def empty_write_model() -> None:
    """Empty the write model's tables (reference data, users and the ICD-10-CM list stay)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(WRITE_MODEL_TABLES)} CASCADE")
