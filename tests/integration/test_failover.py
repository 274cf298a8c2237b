"""Failover on the real cluster (Patroni, etcd, synchronous replication) under continuous API writes.

The promises: every write answered 2xx before, during or after the failover is there afterwards; a write
that failed was answered 503 and left nothing half-written (and, retried with its Idempotency-Key, was
written exactly once); a client's own reads never go back in time; plain reads from the standbys never
fail; nothing is restarted by hand; projections reconcile with zero drift; the old primary comes back as a
standby.
"""

import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db.models import Count

from billing.models import Invoice, Payment
from pharmacy.models import Dispense
from tests.support.cluster import (
    InProcess,
    Reader,
    leader,
    member,
    standby_nodes,
    timeline,
    wait_for_a_write_after,
)
from tests.support.read_side import assert_nothing_lost_and_no_drift
from tests.support.stack import on_stack, stack_ctl, wait_until
from tests.support.workload import REFUSED, UNKNOWN, Log, make_plan, run_writers

pytestmark = [on_stack, pytest.mark.usefixtures("database_url_names_every_node", "node1_leads_afterwards")]

WRITERS = 8


@pytest.fixture
def writers(api_as, settings, whole_cluster_after):
    settings.API_THROTTLE_RATE = "100000/min"  # eight clients at full speed are no abuse here
    plan = make_plan(WRITERS, prescriptions_each=40)
    clients = [InProcess(api_as("billing_clerk", "pharmacist")) for _ in range(WRITERS)]
    reader = InProcess(api_as("clinician"))
    return plan, clients, reader


def drive(writers, fault: str, settle: float = 3.0):
    """Writers (and a reader) at full speed; the fault; on until writes have succeeded for `settle` s."""
    plan, clients, reader_client = writers
    log, stop = Log(), threading.Event()
    threads = run_writers(clients, plan, log, stop)
    reader = Reader(reader_client, stop)
    reader.start()
    wait_until(lambda: len(log.ok("payment")) >= WRITERS, timeout=60, message="writes before the fault")
    before = leader()
    stack_ctl(fault)
    struck = time.monotonic()  # the fault is done when stack.sh returns: writes answered later came after it
    recovered = wait_for_a_write_after(log, struck)
    time.sleep(settle)
    stop.set()
    for thread in [*threads, reader]:
        thread.join(timeout=90)
    failed = log.failed()
    print(  # shown with -s or on failure: what this failover looked like
        f"{fault}: writes back after {recovered:.1f} s; {len(log.ok('payment'))} cycles; {len(failed)} refused "
        f"({sum(UNKNOWN in o.message for o in failed)} outcome unknown); reader {reader.answers} answers"
    )
    return plan, log, reader, before, recovered


def assert_every_acknowledged_write_is_there_and_nothing_half_written(plan, log) -> None:
    invoices = {o.object_id for o in log.ok("invoice")}
    payments = {o.object_id for o in log.ok("payment")}
    dispenses = {o.object_id for o in log.ok("dispense")}
    primary = "default"
    assert set(Invoice.objects.using(primary).filter(pk__in=invoices).values_list("pk", flat=True)) == invoices
    assert set(Payment.objects.using(primary).filter(pk__in=payments).values_list("pk", flat=True)) == payments
    assert set(Dispense.objects.using(primary).filter(pk__in=dispenses).values_list("pk", flat=True)) == dispenses
    drafts = Invoice.objects.using(primary).filter(patient__in=plan.patients, status="draft")
    assert not drafts.filter(payments__isnull=False).exists()
    # Exactly once: every invoice of the writers' patients was acknowledged (a retried unknown outcome did not
    # leave a second one), no invoice has two payments, nothing lacks its lines or its allocations.
    mine = Invoice.objects.using(primary).filter(patient__in=plan.patients, encounter__isnull=True)
    assert set(mine.values_list("pk", flat=True)) == invoices
    assert not mine.annotate(n=Count("payments")).filter(n__gt=1).exists()
    assert not Invoice.objects.using(primary).filter(lines__isnull=True).exists()
    assert not Dispense.objects.using(primary).filter(allocations__isnull=True).exists()


def assert_failures_were_clean_503s(log) -> None:
    for outcome in log.failed():
        assert outcome.status == 503, outcome
        assert REFUSED in outcome.message or UNKNOWN in outcome.message, outcome


@pytest.mark.parametrize("fault", ["kill-primary", "crash-primary"])
def test_a_primary_failure_under_write_load_loses_no_acknowledged_write(writers, celery_worker_process, fault):
    plan, log, reader, before, recovered = drive(writers, fault)

    assert recovered < 30, recovered  # writes came back by themselves (Patroni timings: seconds)
    assert log.ok("payment") and log.ok("dispense")
    assert_every_acknowledged_write_is_there_and_nothing_half_written(plan, log)
    assert_failures_were_clean_503s(log)
    assert not log.stale_reads(), log.stale_reads()[:5]  # own reads never went back in time
    assert reader.answers > 0 and not reader.failures, reader.failures
    if fault == "kill-primary":
        assert leader() not in (None, before)  # a standby was promoted
        stack_ctl("start-node", before.removeprefix("node"))  # the dead host comes back...
        wait_until(lambda: member(before).get("role") in ("replica", "sync_standby"), timeout=60)
        assert member(before)["state"] == "running"  # ...rewound and streaming as a standby
    else:
        # Patroni restarted the postmaster (or failed over after primary_start_timeout): a primary either way.
        assert leader() is not None
    assert_nothing_lost_and_no_drift(invoices=[o.object_id for o in log.ok("invoice")])


NEW_PATIENT = {"given_name": "Ines", "family_name": "Okafor", "date_of_birth": "1990-03-02", "confirm_new": True}


def test_standbys_stopped_one_keeps_writes_going_none_refuses_them(api_as, client, settings, whole_cluster_after):
    """Zero loss: a commit is acknowledged only once a standby has it. With one standby left it becomes the
    synchronous one and writes go on; with none, writes are refused (503, nothing saved: API, pages and the
    admin alike) and reads go on."""
    settings.DB_SYNC_WAIT_SECONDS = 1
    clerk = api_as("front_desk", "clinician")
    client.force_login(User.objects.create_superuser("failover-admin", password="x-test-pass-1"))
    first, second = standby_nodes()
    stack_ctl("stop-node", first)
    created = clerk.post("/api/v1/patients/", NEW_PATIENT, format="json")
    assert created.status_code == 201, created.content
    stack_ctl("stop-node", second)
    refused = clerk.post("/api/v1/patients/", {**NEW_PATIENT, "given_name": "Refused"}, format="json")
    assert refused.status_code == 503, refused.content
    assert "nothing was saved" in refused.json()["errors"]["detail"][0]
    page = client.post("/patients/new/", {**NEW_PATIENT, "given_name": "Page", "sex": "female"})
    assert page.status_code == 503 and b"nothing was saved" in page.content
    admin = client.post("/admin/clinical/patient/add/", {**NEW_PATIENT, "given_name": "Admin", "sex": "female"})
    assert admin.status_code == 503 and b"nothing was saved" in admin.content
    assert clerk.get(f"/api/v1/patients/{created.json()['id']}/").status_code == 200  # reads go on
    stack_ctl("start-node", second)  # returns once it streams and is synchronous
    again = clerk.post("/api/v1/patients/", {**NEW_PATIENT, "given_name": "Again"}, format="json")
    assert again.status_code == 201, again.content
    from clinical.models import Patient

    names = set(Patient.objects.using("default").filter(family_name="Okafor").values_list("given_name", flat=True))
    assert names == {"Ines", "Again"}  # the refused write left nothing


def test_etcd_down_the_primary_keeps_serving_and_failover_works_once_it_is_back(api_as, whole_cluster_after):
    clerk = api_as("front_desk")
    before, tl = leader(), timeline()
    stack_ctl("stop-etcd")
    try:
        # Longer than the leader key's TTL: without failsafe mode the primary would demote itself by now.
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            response = clerk.post("/api/v1/patients/", {**NEW_PATIENT, "given_name": "Etcd"}, format="json")
            assert response.status_code == 201, response.content
            time.sleep(1)
    finally:
        stack_ctl("start-etcd")
    wait_until(lambda: leader() == before, timeout=30, message="Patroni to see the same leader again")
    assert timeline() == tl  # no demotion, no promotion: nothing happened to the primary
    stack_ctl("kill-primary")
    wait_until(lambda: leader() not in (None, before), timeout=30, message="a failover after etcd returned")
    wait_until(
        lambda: (
            clerk.post("/api/v1/patients/", {**NEW_PATIENT, "given_name": "After"}, format="json").status_code == 201
        ),
        timeout=30,
        message="writes on the new primary",
    )
