"""Hospital writes under a failover: API clients that bill, collect and dispense without pause.

Each writer runs cycles of four commands through the API — create an invoice, issue it, record its payment,
dispense a prescription — then reads its invoice back (its own write must show). Every POST carries an
Idempotency-Key; after a 503 the writer retries the same request with the same key, as an integrator
should, so an outcome left unknown by a failover ends as exactly one write. Everything is recorded with the
time it happened: 2xx answers (with the ids they created), refusals, own reads that were stale or failed.

Used by tests/integration/test_failover.py (Django's in-process client) and bench/failover_drill.py
(HTTP against gunicorn); `client` is anything with post(path, body, key) and get(path) returning
(status, json body, replayed).
"""

import datetime
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

REFUSED = "nothing was saved"
UNKNOWN = "may or may not have been saved"
RETRY_FOR_SECONDS = 60


@dataclass
class Plan:
    """What the writers work on, made beforehand (ids)."""

    payer: int
    service: int
    price: Decimal
    patients: list[int]  # one per writer
    encounters: list[int]
    prescriptions: list[list[int]]  # per writer, each dispensed once


@dataclass
class Outcome:
    at: float  # time.monotonic() when the answer came; it was sent at `at - latency`
    kind: str  # invoice, issue, payment, dispense, read
    status: int
    object_id: int | None = None
    message: str = ""
    replayed: bool = False
    latency: float = 0.0


@dataclass
class Log:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def ok(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind and 200 <= o.status < 300]

    def first_write_sent_after(self, moment: float) -> float | None:
        """When the first write *sent* after `moment` was answered 2xx: the end of a failover's outage (RTO).
        Not any 2xx answered after it: one arriving just after a kill can belong to a commit made before it,
        and an idempotent replay wrote nothing."""
        done = [
            o.at
            for o in self.outcomes
            if o.kind != "read" and 200 <= o.status < 300 and not o.replayed and o.at - o.latency > moment
        ]
        return min(done) if done else None

    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind != "read" and not 200 <= o.status < 300]

    def stale_reads(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == "read" and o.message == "stale"]


def make_plan(writers: int, prescriptions_each: int) -> Plan:
    """Payer, service, a well-stocked drug, and per writer a patient with an open encounter and prescriptions."""
    from billing import commands as billing
    from clinical import commands as clinical
    from clinical.models import Department
    from pharmacy import commands as pharmacy

    tag = uuid.uuid4().hex[:6].upper()
    department = Department.objects.using("default").get_or_create(code="DRILL", defaults={"name": "Drill"})[0]
    payer = billing.payer_create(name=f"Drill payer {tag}", kind="insurer")
    price = Decimal("12.50")
    service = billing.service_create(code=f"DR{tag}", name="Drill consult", department_id=department.pk, price=price)
    drug = pharmacy.drug_create(
        code=f"DRG{tag}", generic_name="Paracetamol", form="tablet", strength="500 mg", unit="tablet",
        unit_price=Decimal("0.10"), ingredients=["paracetamol"],
    )  # fmt: skip
    pharmacy.stock_receive(
        drug_id=drug.pk, lot_number=f"L{tag}", expiry_date=timezone.localdate() + datetime.timedelta(days=700),
        quantity=writers * prescriptions_each * 2 + 100, unit_cost=Decimal("0.02"),
    )  # fmt: skip
    patients, encounters, prescriptions = [], [], []
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    prescriber = get_user_model().objects.using("default").get_or_create(username="drill-prescriber")[0]
    prescriber.groups.add(Group.objects.using("default").get(name="clinician"))  # the attending is a clinician
    for i in range(writers):
        patient = clinical.patient_register(
            given_name=f"Writer{i}", family_name=f"Drill{tag}", date_of_birth=datetime.date(1970, 1, 1 + i)
        )
        encounter = clinical.encounter_start(
            patient_id=patient.pk, type="outpatient", department_id=department.pk, attending_id=prescriber.pk
        )
        patients.append(patient.pk)
        encounters.append(encounter.pk)
        prescriptions.append(
            [
                pharmacy.prescription_create(
                    encounter_id=encounter.pk, drug_id=drug.pk, dose="500 mg", frequency="once",
                    duration_days=1, quantity=2, prescriber=prescriber,
                ).pk
                for _ in range(prescriptions_each)
            ]
        )  # fmt: skip
    return Plan(payer.pk, service.pk, price, patients, encounters, prescriptions)


class Writer:
    def __init__(self, client, plan: Plan, index: int, log: Log, stop: threading.Event):
        self.client, self.plan, self.index, self.log, self.stop = client, plan, index, log, stop
        self.prescriptions = list(plan.prescriptions[index])

    def post(self, kind: str, path: str, body: dict) -> Outcome | None:
        """POST until a definite answer (2xx or 4xx); each 503 is recorded, then retried with the same key."""
        key = str(uuid.uuid4())
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while time.monotonic() < deadline:
            started = time.monotonic()
            status, data, replayed = self.client.post(path, body, key)
            message = ""
            if status >= 300:
                detail = (data or {}).get("errors", {}) if isinstance(data, dict) else {}
                message = " ".join(str(m) for v in detail.values() for m in (v if isinstance(v, list) else [v]))
            object_id = data.get("id") if isinstance(data, dict) and status < 300 else None
            answered = time.monotonic()
            outcome = Outcome(answered, kind, status, object_id, message, replayed, answered - started)
            self.log.add(outcome)
            if status != 503:
                return outcome if status < 300 else None
            time.sleep(0.2)
        return None

    def read_back(self, invoice_id: int) -> None:
        started = time.monotonic()
        status, data, _ = self.client.get(f"/api/v1/invoices/{invoice_id}/")
        stale = status == 200 and data.get("status") != "paid"
        message = "stale" if stale or status == 404 else ""
        answered = time.monotonic()
        self.log.add(Outcome(answered, "read", status, invoice_id, message, latency=answered - started))

    def cycle(self) -> None:
        plan = self.plan
        lines = [{"service": plan.service}]
        body = {"patient": plan.patients[self.index], "payer": plan.payer, "lines": lines}
        invoice = self.post("invoice", "/api/v1/invoices/", body)
        if invoice is None:
            return
        if self.post("issue", f"/api/v1/invoices/{invoice.object_id}/issue/", {}) is None:
            return
        payment = {"invoice": invoice.object_id, "amount": str(plan.price), "method": "cash"}
        if self.post("payment", "/api/v1/payments/", payment) is None:
            return
        self.read_back(invoice.object_id)
        if self.prescriptions:
            self.post("dispense", "/api/v1/dispenses/", {"prescription": self.prescriptions.pop()})

    def run(self) -> None:
        while not self.stop.is_set():
            self.cycle()


def run_writers(clients: list, plan: Plan, log: Log, stop: threading.Event) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=Writer(client, plan, i, log, stop).run, name=f"writer-{i}", daemon=True)
        for i, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    return threads
