"""Faults on the real stack, each followed by the same proof: every committed write is there and
reconciliation finds no drift. (Standbys stopped and the primary's health report: see test_routing.py.)

Every scenario restores the stack in a `finally`, so later tests find it whole.
"""

import os
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connections

from billing import commands as billing
from billing.models import Invoice, InvoiceLine
from clinical.models import Patient
from core.audit import spool
from core.audit.models import AuditEvent
from core.events.models import OutboxEvent
from reports.engine import refresh, store
from tests.support.factories.billing import PayerFactory, ServiceFactory, issued_invoice
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.read_side import assert_nothing_lost_and_no_drift, redis_outstanding_cents
from tests.support.stack import (
    on_stack,
    replay_paused,
    served_by,
    sign_in,
    stack_ctl,
    standby_stopped,
    wait_replayed,
    wait_until,
)

pytestmark = on_stack

NEW_PATIENT = {"given_name": "Nia", "family_name": "Adeyemi", "date_of_birth": "1985-09-14", "confirm_new": True}


@pytest.fixture
def clerk(client):
    sign_in(client, UserFactory(roles=["billing_clerk", "front_desk", "clinician", "report_viewer"]))
    return client


def test_standby_stopped_reads_go_elsewhere_and_a_client_reads_its_own_writes(clerk, caplog):
    caplog.set_level("INFO", logger="hmis.request")
    with standby_stopped(1):
        created = clerk.post("/api/v1/patients/", NEW_PATIENT, content_type="application/json")
        assert created.status_code == 201
        detail = clerk.get(f"/api/v1/patients/{created.json()['id']}/")
        assert detail.status_code == 200 and detail.json()["mrn"] == created.json()["mrn"]
        for _ in range(5):
            assert clerk.get("/api/v1/patients/").json()["count"] == 1
            assert "replica" not in served_by(caplog, "/api/v1/patients/")  # never the stopped one
        report = clerk.get("/api/v1/reports/ar-aging/").json()
        assert report["source"] in ("redis", "materialized_view") and "stale_seconds" in report
    assert_nothing_lost_and_no_drift(patients=[created.json()["id"]])


def test_standbys_far_behind_are_skipped_and_reports_say_how_stale_they_are(clerk, client, caplog, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    settings.REPLICA_HEALTH_TTL_SECONDS = 0
    settings.REPORT_STALE_WARNING_SECONDS = 1
    before = issued_invoice("40.00")
    refresh.refresh("ar_aging")  # the projection is fresh now; no worker runs here, so it then ages
    wait_replayed()
    caplog.set_level("INFO", logger="hmis.request")
    with replay_paused():
        created = clerk.post("/api/v1/patients/", NEW_PATIENT, content_type="application/json")
        time.sleep(1.5)
        PatientFactory(family_name="Later")  # the standbys receive it but replay nothing: their lag grows
        time.sleep(0.5)
        # The writer reads its own write (its token requires an LSN no standby has replayed).
        assert clerk.get(f"/api/v1/patients/{created.json()['id']}/").status_code == 200
        # A reader with no token: the standbys lag more than allowed, so it reads the primary, and sees all.
        other = type(client)()
        other.force_login(UserFactory(roles=["clinician"]))
        assert other.get("/api/v1/patients/").json()["count"] == 3
        assert set(served_by(caplog, "/api/v1/patients/")) == {"default"}
        # Reports say how old their figures are, and the page warns.
        report = clerk.get("/api/v1/reports/ar-aging/").json()
        assert report["stale_seconds"] >= 1.5, report
        page = clerk.get("/reports/ar-aging/").content.decode()
        assert "These figures may be out of date." in page
    wait_replayed()
    assert_nothing_lost_and_no_drift(patients=[created.json()["id"]], invoices=[before.pk])


def test_redis_stopped_pages_and_api_answer_writes_succeed_the_outbox_keeps_events(clerk, celery_worker_process):
    first = issued_invoice("10.00")
    wait_until(lambda: redis_outstanding_cents() == 1000, timeout=30, message="first summary")
    patient = PatientFactory()
    wait_replayed()
    events_before = OutboxEvent.objects.using("default").count()
    stack_ctl("stop-redis")
    try:
        for page in ("/", f"/patients/{patient.pk}/", "/reports/ar-aging/", "/billing/invoices/"):
            assert clerk.get(page).status_code == 200, page
        assert clerk.get("/api/v1/patients/").status_code == 200
        report = clerk.get("/api/v1/reports/ar-aging/").json()
        assert report["source"] == "materialized_view"  # the summaries are out of reach: the views answer
        payer, service = PayerFactory(), ServiceFactory(price=Decimal("7.00"))
        body = {"patient": patient.pk, "payer": payer.pk, "lines": [{"service": service.pk}]}
        created = clerk.post("/api/v1/invoices/", body, content_type="application/json")
        assert created.status_code == 201, created.content
        invoice_id = created.json()["id"]
        assert clerk.post(f"/api/v1/invoices/{invoice_id}/issue/").status_code == 200
        assert OutboxEvent.objects.using("default").count() > events_before  # kept for the sweep
    finally:
        stack_ctl("start-redis")
    # Redis back: the worker's sweep finds the events and rebuilds the summaries.
    wait_until(
        lambda: redis_outstanding_cents() == 1700,
        timeout=60,
        message="summaries rebuilt after Redis returns",
        describe=lambda: f"outstanding {redis_outstanding_cents()}",
    )
    assert_nothing_lost_and_no_drift(invoices=[first.pk, invoice_id])


def _lock_conn():
    s = connections["default"].settings_dict
    return psycopg.connect(host=s["HOST"], port=s["PORT"], user=s["USER"], dbname=s["NAME"], autocommit=False)


def _waiting_on_a_lock(statement: str) -> bool:
    """Is some session running a statement that starts like this, blocked on a lock?"""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE starts_with(query, %s) AND wait_event_type = 'Lock'",
            [statement],
        )
        return cursor.fetchone()[0] > 0


def revenue_today_cents() -> int | None:
    value = store.read_hash("revenue", "summary").get("today:invoiced")
    return None if value is None else int(value)


def _worker_idle() -> bool:
    from hmis.celery import app

    inspect = app.control.inspect(timeout=1)
    busy = [inspect.active(), inspect.reserved()]
    return all(found is not None and not any(found.values()) for found in busy)


def _active_refresh_pid():
    from hmis.celery import app

    for tasks in (app.control.inspect(timeout=1).active() or {}).values():
        for task in tasks:
            if task["name"] == "reports.refresh_projection" and "revenue" in str(task["args"]):
                return task["worker_pid"]
    return None


def test_a_worker_killed_during_a_refresh_leaves_the_projection_to_be_finished(celery_worker_process, request):
    issued_invoice("10.00")
    wait_until(lambda: revenue_today_cents() == 1000, timeout=30, message="first summary")
    draft = billing.invoice_create(
        patient_id=PatientFactory().pk,
        payer_id=PayerFactory().pk,
        lines=[{"service": ServiceFactory(price=Decimal("5.00")).pk}],
    )
    # Let the refreshes these rows start (a new patient's clinical projections read departments too) end
    # first: blocked on the lock below, they could hold both pool processes and keep revenue's waiting.
    wait_until(_worker_idle, timeout=30, message="the worker idle")
    holder = _lock_conn()
    # The revenue view reads departments (the AR views and issuing an invoice do not): the refresh that
    # issuing triggers waits.
    holder.execute("LOCK TABLE clinical_department IN ACCESS EXCLUSIVE MODE")
    try:
        later = billing.invoice_issue(invoice_id=draft.pk)  # its commit enqueues the refresh, which blocks
        wait_until(
            lambda: _waiting_on_a_lock("REFRESH MATERIALIZED VIEW CONCURRENTLY reports_revenue_recent"),
            timeout=30,
            message="a refresh waiting on the lock",
        )
        pid = wait_until(_active_refresh_pid, timeout=15, message="the pool process running the refresh")
        os.kill(pid, signal.SIGKILL)
    finally:
        holder.rollback()
        holder.close()
    # acks_late + reject_on_worker_lost requeue the task; the sweep catches whatever that run skipped.
    wait_until(lambda: revenue_today_cents() == 1500, timeout=60, message="the projection to end correct")
    log = Path(settings.BASE_DIR) / ".stack" / "log" / "test-worker.log"
    # The pool noticed its process die mid-task (WorkerLostError; the message is requeued, not acked).
    wait_until(lambda: "signal 9 (SIGKILL)" in log.read_text().split(request.node.nodeid)[-1], timeout=30)
    assert_nothing_lost_and_no_drift(invoices=[later.pk])


def _in_thread(work):
    result = {}

    def run():
        try:
            result["value"] = work()
        except Exception as exc:  # noqa: BLE001 (inspected by the test)
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_primary_stopped_writes_fail_fast_reads_continue_and_nothing_is_half_written(clerk, caplog):
    before = issued_invoice("20.00")
    patient = PatientFactory(family_name="Readable")
    payer, service = PayerFactory(), ServiceFactory(price=Decimal("9.00"))
    wait_replayed()
    clerk.get("/api/v1/patients/")  # a session read: the session is cached on this connection's standby
    reader = type(clerk)()
    reader.force_login(UserFactory(roles=["clinician"]))
    wait_replayed()
    # A command caught mid-transaction when the primary goes: its invoice row is written, its lines wait.
    holder = _lock_conn()
    holder.execute("LOCK TABLE billing_invoiceline IN SHARE MODE")
    caught, outcome = _in_thread(
        lambda: billing.invoice_create(patient_id=patient.pk, payer_id=payer.pk, lines=[{"service": service.pk}])
    )
    wait_until(lambda: _waiting_on_a_lock('INSERT INTO "billing_invoiceline"'), message="the command mid-way")
    stack_ctl("stop-primary")  # with the lock still held: the command cannot finish first
    try:
        holder.close()
        caught.join(timeout=30)
        assert isinstance(outcome.get("error"), OperationalError), outcome
        started = time.monotonic()
        write = clerk.post("/api/v1/patients/", NEW_PATIENT, content_type="application/json")
        elapsed = time.monotonic() - started
        assert write.status_code == 503 and "nothing was saved" in write.json()["errors"]["detail"][0]
        assert elapsed < 10, elapsed
        page_write = clerk.post("/patients/new/", {**NEW_PATIENT, "sex": "female"})
        assert page_write.status_code == 503 and b"nothing was saved" in page_write.content
        # Reads a standby can serve still work, and their audit events wait in Redis.
        listing = reader.get("/api/v1/patients/", {"q": "Readable"})
        assert listing.status_code == 200 and listing.json()["count"] == 1
        assert reader.get(f"/patients/{patient.pk}/").status_code == 200
        assert spool.waiting() >= 2
    finally:
        stack_ctl("start-primary")
        connections.close_all()
    wait_until(lambda: clerk.get("/healthz").status_code == 200, timeout=60, message="the primary to return")
    assert spool.drain() >= 2
    assert AuditEvent.objects.using("default").filter(patient_id=patient.pk, action__in=["list", "view"]).count() >= 2
    # Nothing half-written: no invoice without lines, and the rejected patient does not exist.
    assert not Invoice.objects.using("default").filter(lines__isnull=True).exists()
    assert InvoiceLine.objects.using("default").filter(invoice__patient=patient).count() == 0
    assert not Patient.objects.using("default").filter(family_name="Adeyemi").exists()
    assert_nothing_lost_and_no_drift(patients=[patient.pk], invoices=[before.pk])
