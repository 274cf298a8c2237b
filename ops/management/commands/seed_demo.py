"""Demo data for `make run`: a living hospital. Staff users per role (logins printed at the end), named
patients, encounters, diagnoses, invoices with payments and credits over the last months, a formulary with
stock (expired and expiring lots), prescriptions waiting at the pharmacy, wards whose beds have six weeks
of stays behind them (a populated bed board, a census, a queue), clinics with a week of appointments and
today's queue (ops/demo_scheduling.py); then three years of a generated hospital (`generate_data` at
`--scale`, default 0.015: 3,000 patients, 15,000 encounters) so that every page, chart and board has
content, and every projection refreshed. Deterministic (fixed seeds) and safe to run again."""

import contextlib
import datetime
import heapq
import io
import os
import random
import time
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from billing import commands as billing
from billing.models import Invoice, Payer, Service
from clinical import commands as clinical
from clinical.models import Department, Patient
from core.errors import DomainError
from core.roles import names as role_names
from core.roles import sync_roles
from inpatient import commands as inpatient
from inpatient.models import Bed, Ward
from ops import demo_scheduling
from ops.datagen.drugs import GENERATED_DRUG_PREFIX
from pharmacy import commands as pharmacy
from pharmacy.models import Drug, Prescription, StockBatch, StockMovement

WARD_DAYS, SHORT_WARD_DAYS = 42, 4  # the demo wards' history through the commands (slow: ~2 s a day)
SHORT_CLINIC_DAYS = 2  # the demo clinics' past days when generated years are there
DEMO_SCALE = 0.015  # of generate_data's hospital: 3,000 patients over three years
LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"

DEMO_PATIENTS = [
    ("Amara", "Okafor", "1984-03-12", "female"),
    ("Jonas", "Lindqvist", "1957-11-02", "male"),
    ("Priya", "Raman", "1992-07-23", "female"),
    ("Mateo", "Fernandez", "2015-01-30", "male"),
    ("Grace", "Mwangi", "1948-05-17", "female"),
    ("Hiroshi", "Tanaka", "1979-09-09", "male"),
    ("Fatima", "Al-Sayed", "2001-12-05", "female"),
    ("Liam", "O'Connor", "1966-04-21", "male"),
    ("Sofia", "Rossi", "1988-08-14", "female"),
    ("Kwame", "Mensah", "1973-02-28", "male"),
    ("Elena", "Petrova", "1995-06-03", "female"),
    ("Daniel", "Cohen", "1940-10-10", "male"),
]
DEPARTMENTS = [
    ("OPD", "Outpatients"),
    ("ED", "Emergency"),
    ("RAD", "Radiology"),
    ("LAB", "Laboratory"),
    ("MED", "Medicine"),
    ("SURG", "Surgery"),
    ("ICU", "Intensive Care"),
]
PAYERS = [
    ("Self-pay", "self_pay", 0),
    ("Acme Health Insurance", "insurer", 30),
    ("National Health Scheme", "government", 60),
]
SERVICES = [
    ("CONS", "General consultation", "OPD", "45.00"),
    ("ED-VISIT", "Emergency assessment", "ED", "150.00"),
    ("XR-CHEST", "Chest X-ray", "RAD", "85.00"),
    ("CT-HEAD", "CT head", "RAD", "420.00"),
    ("FBC", "Full blood count", "LAB", "18.50"),
    ("HBA1C", "HbA1c", "LAB", "24.00"),
    ("WARD-DAY", "Ward day", "MED", "310.00"),
]
DIAGNOSES = ["I10", "E11.9", "J06.9", "J45.909", "M54.50", "K21.9", "N39.0", "R07.9", "J18.9", "E78.5"]
# code, name, department, sex policy, beds, bed-day price
WARDS = [
    ("MED-A", "Medical ward A", "MED", "any", 10, "310.00"),
    ("MED-B", "Medical ward B (women)", "MED", "female", 8, "310.00"),
    ("SURG", "Surgical ward", "SURG", "any", 8, "350.00"),
    ("ICU", "Intensive care", "ICU", "any", 4, "1200.00"),
]
INPATIENT_GIVEN = ["Ada", "Ben", "Chloe", "Dev", "Eve", "Femi", "Gita", "Hugo", "Ines", "Jack", "Kemi", "Luis"]
INPATIENT_FAMILY = ["Abara", "Brandt", "Castillo", "Dube", "Egan", "Farouk", "Gomez", "Haddad", "Ito", "Jansen"]
DRUGS = [
    ("AMOX500", "Amoxicillin", "capsule", "500 mg", "capsule", "0.80", 100, ["amoxicillin"]),
    ("PARA500", "Paracetamol", "tablet", "500 mg", "tablet", "0.10", 200, ["paracetamol"]),
    ("MET500", "Metformin", "tablet", "500 mg", "tablet", "0.15", 150, ["metformin"]),
    ("AML5", "Amlodipine", "tablet", "5 mg", "tablet", "0.20", 100, ["amlodipine"]),
    ("SALB", "Salbutamol", "inhaler", "100 mcg/dose", "inhaler", "6.50", 20, ["salbutamol"]),
]


class Command(BaseCommand):
    help = "Create a demo hospital: named demo data, three generated years, demo logins (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=DEMO_SCALE, help="generate_data's scale (0: no generated history)"
        )

    def handle(self, *args, scale, **options):
        started = time.perf_counter()
        password = os.environ.get("DEMO_PASSWORD", "hmis-demo-2026")
        sync_roles()
        generated = Drug.objects.filter(code__startswith=GENERATED_DRUG_PREFIX).exists()
        demo_alone = not generated and Patient.objects.filter(mrn=f"DEMO{1:04d}").exists()
        if scale > 0 and demo_alone:
            # Generated rows are COPYed with numbers of their own (queue tickets): beside an earlier demo's
            # rows they would clash. An empty database gets both.
            self.stdout.write(
                "The demo from an earlier seed is here without generated history: to get three years of it,"
                " empty the database (`make clean-stack`, or `manage.py flush`) and seed again."
            )
        elif scale > 0 and not generated:
            # First: its COPY streams number queue tickets and invoices themselves, while the demo's commands
            # below number theirs after whatever is there. It ends at the start of today; the demo adds today.
            self.stdout.write(f"Generating three years of history (generate_data --scale {scale}) ...")
            out = io.StringIO()
            call_command("generate_data", scale=scale, no_refresh=True, progress=False, stdout=out)
            self.stdout.write(out.getvalue().strip().splitlines()[-1])  # its summary
        generated_seconds = time.perf_counter() - started
        # With generated years behind them, the demo's own histories (through the commands, slow) stay short.
        logins = self._demo(password, short=scale > 0)
        demo_seconds = time.perf_counter() - started - generated_seconds
        self.stdout.write("Refreshing the read side ...")
        self._refresh()
        took = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo hospital ready in {took:.0f} s (demo {demo_seconds:.0f} s, generated history "
                f"{generated_seconds:.0f} s, read side {took - demo_seconds - generated_seconds:.0f} s): "
                f"{Patient.objects.count():,} patients, {Invoice.objects.count():,} invoices, "
                f"{Prescription.objects.count():,} prescriptions, {Drug.objects.count()} drugs, "
                f"{Bed.objects.filter(status='occupied').count()} of {Bed.objects.count()} beds occupied."
            )
        )
        self.stdout.write(f"Demo logins, one per role (user / password) at {LOGIN_URL} :")
        for role, how in logins:
            self.stdout.write(f"  {role:<14} / {password}   ({how})")

    @transaction.atomic(using="default")
    def _demo(self, password: str, short: bool) -> list[tuple[str, str]]:
        logins = [self._user(role, password) for role in role_names()]
        patients = self._patients()
        # Each part once, told by rows of its own (generated history may be there already).
        if not Invoice.objects.filter(patient__in=patients).exists():
            self._activity(patients, User.objects.get(username="clinician"))
        if not Drug.objects.filter(code=DRUGS[0][0]).exists():
            self._pharmacy()
        if not Ward.objects.filter(code=WARDS[0][0]).exists():
            doctor, nurse = User.objects.get(username="clinician"), User.objects.get(username="nurse")
            self._wards(doctor, nurse, days=SHORT_WARD_DAYS if short else WARD_DAYS)
        logins += demo_scheduling.seed(patients, password, history_days=SHORT_CLINIC_DAYS if short else 7)
        if not Prescription.objects.filter(encounter__patient__in=patients).exists():
            self._prescriptions(patients, User.objects.get(username="clinician"))
        return logins

    def _user(self, role: str, password: str):
        user, created = User.objects.get_or_create(
            username=role, defaults={"is_staff": True, "first_name": role.replace("_", " ").title()}
        )
        if created:
            user.set_password(password)
            user.is_superuser = role == "admin"
            user.save()
        user.groups.add(Group.objects.get(name=role))
        return role, "created" if created else "exists"

    def _patients(self) -> list[Patient]:
        patients = []
        for number, (given, family, born, sex) in enumerate(DEMO_PATIENTS, start=1):
            mrn = f"DEMO{number:04d}"
            patient = Patient.objects.filter(mrn=mrn).first() or clinical.patient_register(
                mrn=mrn, given_name=given, family_name=family, date_of_birth=datetime.date.fromisoformat(born), sex=sex
            )
            patients.append(patient)
        return patients

    def _activity(self, patients: list[Patient], doctor: User) -> None:
        rng = random.Random(2026)  # noqa: S311 (demo data, not security)
        departments = {
            code: Department.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in DEPARTMENTS
        }
        payers = [
            Payer.objects.filter(name=name).first()
            or billing.payer_create(name=name, kind=kind, payment_terms_days=days)
            for name, kind, days in PAYERS
        ]
        services = [
            Service.objects.filter(code=code).first()
            or billing.service_create(code=code, name=name, department_id=departments[dep].pk, price=Decimal(price))
            for code, name, dep, price in SERVICES
        ]
        today = timezone.localdate()
        for n in range(36):
            patient, days_ago = rng.choice(patients), rng.randint(0, 150)
            day = today - datetime.timedelta(days=days_ago)
            started = timezone.now() - datetime.timedelta(days=days_ago, hours=rng.randint(1, 8))
            service = rng.choice(services)
            encounter = clinical.encounter_start(
                patient_id=patient.pk,
                type=rng.choice(["outpatient", "outpatient", "emergency", "inpatient"]),
                department_id=service.department_id,
                attending_id=doctor.pk,
                started_at=started,
            )
            clinical.diagnosis_record(
                encounter_id=encounter.pk,
                code=rng.choice(DIAGNOSES[:6] if n % 2 else DIAGNOSES),
                is_primary=True,
                recorded_by=doctor,
            )
            if days_ago > 2:
                clinical.encounter_close(encounter_id=encounter.pk, ended_at=started + datetime.timedelta(hours=2))
            lines = [{"service": service.pk, "quantity": Decimal(rng.choice([1, 1, 2]))}]
            if rng.random() < 0.5:
                lines.append({"service": rng.choice(services).pk})
            invoice = billing.invoice_create(
                patient_id=patient.pk,
                payer_id=rng.choice(payers).pk,
                encounter_id=encounter.pk,
                posting_date=day,
                lines=lines,
            )
            billing.invoice_issue(invoice_id=invoice.pk)
            invoice.refresh_from_db()
            fate = rng.random()
            if fate < 0.45:
                pay_day = min(today, day + datetime.timedelta(days=rng.randint(0, 40)))
                billing.payment_record(invoice_id=invoice.pk, amount=invoice.total, method="card", paid_on=pay_day)
            elif fate < 0.7:
                billing.payment_record(
                    invoice_id=invoice.pk,
                    amount=(invoice.total / 2).quantize(Decimal("0.01")),
                    method="cash",
                    paid_on=min(today, day + datetime.timedelta(days=5)),
                )
            elif fate < 0.8:
                billing.credit_note_create(
                    invoice_id=invoice.pk,
                    amount=Decimal("10.00"),
                    reason="Courtesy discount",
                    credited_on=min(today, day + datetime.timedelta(days=3)),
                )

    def _pharmacy(self) -> None:
        today = timezone.localdate()
        for i, (code, name, form, strength, unit, price, reorder, ingredients) in enumerate(DRUGS):
            drug = pharmacy.drug_create(
                code=code,
                generic_name=name,
                form=form,
                strength=strength,
                unit=unit,
                unit_price=Decimal(price),
                reorder_level=reorder,
                ingredients=ingredients,
            )
            pharmacy.stock_receive(
                drug_id=drug.pk,
                lot_number=f"{code}-A",
                expiry_date=today + datetime.timedelta(days=20 + 40 * i),
                quantity=60 + 50 * i,
                unit_cost=Decimal(price) / 3,
            )
            pharmacy.stock_receive(
                drug_id=drug.pk,
                lot_number=f"{code}-B",
                expiry_date=today + datetime.timedelta(days=400),
                quantity=40 * (i % 3),
                unit_cost=Decimal(price) / 3,
            ) if i % 3 else None
        # Stock received months ago that has since expired and is still on the shelf (history, with its ledger row).
        drug = Drug.objects.get(code="PARA500")
        batch = StockBatch.objects.create(
            drug=drug,
            lot_number="PARA500-OLD",
            expiry_date=today - datetime.timedelta(days=12),
            quantity_on_hand=35,
            unit_cost=Decimal("0.03"),
            received_at=timezone.now() - datetime.timedelta(days=400),
        )
        StockMovement.objects.create(
            batch=batch, kind=StockMovement.Kind.RECEIPT, quantity=35, created_at=batch.received_at
        )

    def _wards(self, doctor: User, nurse: User, days: int) -> None:
        """Wards and beds opened `days` ago (six weeks; four days with generated years beside them), each bed
        with the stays it has had since (admitted, ordered home, discharged, cleaned), the patients in them
        now, a few transfers, a bed out of service, a queue for intensive care, and the nights charged."""
        rng = random.Random(23)  # noqa: S311 (demo data, not security)
        now = timezone.now()
        opened = now - datetime.timedelta(days=days)
        departments = {
            code: Department.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in DEPARTMENTS
        }
        beds: list[tuple[Ward, Bed]] = []
        for code, name, department, sex_policy, count, price in WARDS:
            ward = inpatient.ward_create(
                code=code, name=name, department_id=departments[department].pk, sex_policy=sex_policy,
                bed_day_price=Decimal(price),
            )  # fmt: skip
            for label in range(1, count + 1):
                beds.append((ward, inpatient.bed_create(ward_id=ward.pk, label=str(label), in_service_since=opened)))
        people = []
        for n, (given, family) in enumerate((g, f) for f in INPATIENT_FAMILY for g in INPATIENT_GIVEN):
            mrn = f"DEMOIP{n + 1:03d}"
            sex = "female" if n % 2 == 0 else "male"
            born = datetime.date(1930 + (n * 7) % 80, 1 + n % 12, 1 + n % 28)
            patient = Patient.objects.filter(mrn=mrn).first() or clinical.patient_register(
                mrn=mrn, given_name=given, family_name=family, date_of_birth=born, sex=sex
            )
            people.append([patient, opened])  # (patient, free from)

        def someone(ward: Ward, at: datetime.datetime) -> list:
            for entry in sorted(people, key=lambda e: e[1]):
                patient, free_from = entry
                if free_from <= at and (ward.sex_policy == "any" or ward.sex_policy == patient.sex):
                    return entry
            raise RuntimeError("not enough demo inpatients")

        current = []
        # Stays in order of time across all beds, so a patient is reused only once home again.
        upcoming = [(opened + datetime.timedelta(hours=rng.uniform(2, 96)), i) for i in range(len(beds))]
        heapq.heapify(upcoming)
        while upcoming:
            at, i = heapq.heappop(upcoming)
            ward, bed = beds[i]
            if at >= now - datetime.timedelta(hours=1):
                continue
            stay = datetime.timedelta(days=rng.choice([1, 2, 2, 3, 3, 4, 5, 6, 8, 11]), hours=rng.uniform(-5, 5))
            entry = someone(ward, at)
            encounter = clinical.encounter_start(
                patient_id=entry[0].pk,
                type="inpatient",
                department_id=ward.department_id,
                attending_id=doctor.pk,
                started_at=at - datetime.timedelta(hours=2),
                reason="Admitted from the emergency department",
            )
            admission = inpatient.admission_admit(
                encounter_id=encounter.pk, bed_id=bed.pk, admitted_by=nurse, admitted_at=at
            )
            leaves = at + stay
            entry[1] = leaves + datetime.timedelta(days=1)
            if leaves >= now - datetime.timedelta(minutes=30):
                entry[1] = now + datetime.timedelta(days=60)
                current.append(admission)
                if leaves < now + datetime.timedelta(hours=20) and rng.random() < 0.6:
                    inpatient.admission_order_discharge(
                        admission_id=admission.pk, ordered_by=doctor, follow_up="Outpatient clinic in two weeks",
                        ordered_at=now - datetime.timedelta(hours=1),
                    )  # fmt: skip
                continue
            inpatient.admission_order_discharge(
                admission_id=admission.pk, ordered_by=doctor, ordered_at=leaves - datetime.timedelta(hours=3),
                follow_up="GP review in one week",
            )  # fmt: skip
            inpatient.admission_discharge(admission_id=admission.pk, discharged_by=nurse, discharged_at=leaves)
            if leaves > now - datetime.timedelta(hours=4) and rng.random() < 0.7:
                continue  # left a few hours ago: the bed is still being cleaned
            inpatient.bed_set_status(bed_id=bed.pk, status="free", changed_by=nurse)
            heapq.heappush(upcoming, (leaves + datetime.timedelta(hours=rng.uniform(6, 96)), i))
        # A few moves today (to free beds), a critical result, a broken bed, and patients waiting for intensive care.
        for admission in current[:3]:
            target = Bed.objects.filter(status="free", ward__sex_policy="any").order_by("ward__name", "label").first()
            if target:
                inpatient.admission_transfer(admission_id=admission.pk, bed_id=target.pk, transferred_by=nurse)
        clinical.lab_result_record(encounter_id=current[-1].encounter_id, test="2823-3", value=Decimal("6.9"))
        spare = Bed.objects.filter(status="free").order_by("-ward__name", "label").first()
        if spare:
            inpatient.bed_set_status(bed_id=spare.pk, status="out_of_service", note="Broken bed rail", changed_by=nurse)
        icu = Ward.objects.get(code="ICU")
        for priority in ("urgent", "routine"):
            entry = someone(icu, now - datetime.timedelta(hours=3))
            encounter = clinical.encounter_start(
                patient_id=entry[0].pk, type="inpatient", department_id=icu.department_id, attending_id=doctor.pk,
                started_at=now - datetime.timedelta(hours=3), reason="Waiting for an intensive care bed",
            )  # fmt: skip
            entry[1] = now + datetime.timedelta(days=60)
            inpatient.admission_request_create(
                encounter_id=encounter.pk, ward_id=icu.pk, priority=priority, requested_by=doctor
            )
        inpatient.bed_days_charge(since=opened.date())

    def _prescriptions(self, patients: list[Patient], doctor: User) -> None:
        """Orders waiting at the pharmacy: today's open visits of demo patients, one with an allergy on record
        (the pharmacist sees the flag; the order went through the safety checks like any other)."""
        rng = random.Random(25)  # noqa: S311 (demo data, not security)
        clinical.allergy_record(patient_id=patients[0].pk, substance="penicillin", severity="severe", reaction="rash")
        clinical.allergy_statement_record(patient_id=patients[1].pk, kind="nkda")
        drugs = list(Drug.objects.filter(code__in=[d[0] for d in DRUGS]).order_by("code"))
        department = Department.objects.get(code="OPD")
        for patient in patients[:8]:
            encounter = clinical.encounter_start(
                patient_id=patient.pk,
                type="outpatient",
                department_id=department.pk,
                attending_id=doctor.pk,
                started_at=timezone.now() - datetime.timedelta(minutes=rng.randint(20, 240)),
                reason="Clinic visit",
            )
            for drug in rng.sample(drugs, 2):
                # An order the safety checks stop stays unwritten (its savepoint rolls back).
                with contextlib.suppress(DomainError), transaction.atomic(using="default"):
                    pharmacy.prescription_create(
                        encounter_id=encounter.pk,
                        drug_id=drug.pk,
                        dose=drug.strength,
                        frequency=rng.choice(["twice a day", "three times a day", "once a day"]),
                        duration_days=rng.choice([5, 7, 10]),
                        quantity=rng.choice([10, 14, 21]),
                        prescriber=doctor,
                    )

    def _refresh(self):
        call_command("refresh_projections", stdout=io.StringIO())
