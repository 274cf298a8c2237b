"""Backups on the real cluster: pgBackRest's WAL archive and backups, restored to a point in time into a
separate cluster (stack.sh restore), never over the running one."""

import os
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connections

from billing import commands as billing
from billing.models import Invoice
from tests.support.cluster import restore_port, restored, stack_run
from tests.support.consistency import broken_constraints
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import PatientFactory
from tests.support.stack import on_stack, stack_ctl

pytestmark = on_stack


@pytest.fixture
def billing_setup():
    return PatientFactory().pk, PayerFactory().pk, ServiceFactory(price=Decimal("30.00")).pk


@pytest.fixture
def restore_stopped_after():
    yield
    stack_ctl("stop-restore")


def invoice(patient: int, payer: int, service: int) -> int:
    return billing.invoice_create(patient_id=patient, payer_id=payer, lines=[{"service": service}]).pk


def primary_clock() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
        return cursor.fetchone()[0]


def test_point_in_time_restore_brings_back_exactly_what_was_committed_before_the_target(
    billing_setup, restore_stopped_after
):
    database = connections["default"].settings_dict["NAME"]
    stack_ctl("backup", "incr")  # a recent backup: little WAL to replay
    before = [invoice(*billing_setup) for _ in range(4)]
    target = primary_clock()
    time.sleep(0.2)
    after = [invoice(*billing_setup) for _ in range(3)]

    done = stack_run("restore", target, "--replace", database=database)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "billing_invoice: 4 rows" in done.stdout  # it says what it restored
    with restored(database) as connection:
        rows = {r[0] for r in connection.execute("SELECT id FROM billing_invoice WHERE id = ANY(%s)", [before + after])}
        in_recovery = connection.execute("SELECT pg_is_in_recovery()").fetchone()[0]
    assert rows == set(before) and not in_recovery  # exactly N, promoted and usable
    # The running cluster is untouched: it still has all N + M.
    assert Invoice.objects.using("default").filter(pk__in=before + after).count() == 7

    # Bad input: a clear error, and nothing touched (the earlier restore is still there, still exactly N).
    for bad, said in (
        ("1999-01-01 00:00:00+00", "before the oldest backup"),
        ("2999-01-01 00:00:00+00", "in the future"),
        ("yesterday at noon", "is not a time"),
        ("2026-01-01 10:00:00", "no time zone"),
    ):
        refused = stack_run("restore", bad, "--replace")
        assert refused.returncode != 0 and said in refused.stderr, (bad, refused.stderr)
    refused = stack_run("restore", target)  # without --replace the earlier restore is kept
    assert refused.returncode != 0 and "earlier restore" in refused.stderr
    with restored(database) as connection:
        count = connection.execute("SELECT count(*) FROM billing_invoice WHERE id = ANY(%s)", [before + after])
        assert count.fetchone()[0] == 4


def test_a_quiet_cluster_restores_to_the_present_moment(billing_setup, restore_stopped_after):
    """Recovery to a time stops at the first commit after it: with nothing committed since the target,
    the restore makes one (else PostgreSQL ends recovery short of the target and refuses to start)."""
    database = connections["default"].settings_dict["NAME"]
    made = invoice(*billing_setup)
    target = primary_clock()  # nothing is committed after this

    done = stack_run("restore", target, "--replace", database=database)

    assert done.returncode == 0, done.stderr + done.stdout
    assert "recovery stopping before commit" in done.stdout
    with restored(database) as connection:
        assert connection.execute("SELECT count(*) FROM billing_invoice WHERE id = %s", [made]).fetchone()[0] == 1


def primary_conninfo(database: str) -> str:
    """libpq's connection string for the running cluster's primary (every node, the one taking writes)."""
    config = connections["default"].settings_dict
    nodes = f"host={config['HOST']} port={config['PORT']}"
    return f"{nodes} user=postgres dbname={database} target_session_attrs=read-write"


def test_a_dropped_table_comes_back_from_a_restore_to_just_before_the_drop(restore_stopped_after):
    """The operator's mistake backups exist for: restore to a moment before the DROP into a separate cluster
    (progress as it goes), then copy the table back into the running one (README "Backups")."""
    database = connections["default"].settings_dict["NAME"]
    full = stack_run("backup", "full")  # make backup TYPE=full
    assert full.returncode == 0 and "backup 100%" in full.stdout and "(full, ended" in full.stdout, full.stdout
    with connections["default"].cursor() as cursor:
        cursor.execute("CREATE TABLE ward_whiteboard (bed text PRIMARY KEY, note text NOT NULL)")
        cursor.execute("INSERT INTO ward_whiteboard SELECT 'B' || g, 'note ' || g FROM generate_series(1, 40) g")
    before_the_drop = primary_clock()
    time.sleep(0.2)
    with connections["default"].cursor() as cursor:
        cursor.execute("DROP TABLE ward_whiteboard")  # the mistake
    try:
        done = stack_run("restore", before_the_drop, "--replace", database=database)
        assert done.returncode == 0, done.stderr + done.stdout
        assert "restore files 100%" in done.stdout and "replaying WAL" in done.stdout  # progress
        assert "recovery stopping before commit" in done.stdout  # just before the DROP's commit
        with restored(database) as connection:
            assert connection.execute("SELECT count(*) FROM ward_whiteboard").fetchone()[0] == 40

        port = restore_port()
        copy_back = subprocess.run(  # a fixed pipeline of our own
            f"pg_dump -h 127.0.0.1 -p {port} -U postgres -t ward_whiteboard {database} | "
            f"psql -X -q -v ON_ERROR_STOP=1 '{primary_conninfo(database)}'",
            shell=True, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert copy_back.returncode == 0, copy_back.stderr
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*), min(note) FROM ward_whiteboard")
            assert cursor.fetchone() == (40, "note 1")
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS ward_whiteboard")


def _write_continuously(setup, stop: threading.Event, made: list) -> None:
    patient, payer, service = setup
    try:
        while not stop.is_set():
            pk = invoice(patient, payer, service)
            billing.invoice_issue(invoice_id=pk)
            billing.payment_record(invoice_id=pk, amount=Decimal("10.00"), method="cash")
            made.append(pk)
    finally:
        connections.close_all()


def reconcile_restored(database: str) -> str:
    """`manage.py reconcile_projections --dry-run` against the restored cluster (no standby, no Redis: the
    summaries belong to the live system, only the views are compared)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hmis.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{restore_port()}/{database}",
        "REPLICA_DATABASE_URLS": "",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "CELERY_BROKER_URL": "redis://127.0.0.1:9/1",
        "CELERY_RESULT_BACKEND": "redis://127.0.0.1:9/2",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "reconcile_projections", "--dry-run"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_backup_taken_while_writes_run_restores_to_a_consistent_cluster(billing_setup, restore_stopped_after):
    database = connections["default"].settings_dict["NAME"]
    stop, made = threading.Event(), []
    writers = [threading.Thread(target=_write_continuously, args=(billing_setup, stop, made)) for _ in range(4)]
    for thread in writers:
        thread.start()
    try:
        time.sleep(1)
        stack_ctl("backup", "incr")  # the backup runs while the writers commit
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=60)
    assert len(made) > 10

    done = stack_run("restore", "immediate", "--replace", database=database)  # the backup's own end
    assert done.returncode == 0, done.stderr + done.stdout
    with restored(database) as connection:
        assert broken_constraints(connection) == []
        paid = connection.execute(
            "SELECT count(*) FROM billing_invoice i WHERE id = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM billing_invoiceline l WHERE l.invoice_id = i.id)",
            [made],
        ).fetchone()[0]
        assert paid == 0  # no invoice without its lines: every transaction is there whole or not at all
    report = reconcile_restored(database)
    assert report.count("no drift") >= 5 and "drift:" not in report, report
