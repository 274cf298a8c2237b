"""What operators see of the cluster (/healthz for staff, `manage.py replication_status`): Patroni's members
with their roles, state and lag, the synchronous standby, the WAL archive and the last backup; and the
nightly backup that beat schedules, taken through the worker."""

import io

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections

from ops import cluster
from ops.tasks import backup
from tests.support.cluster import leader
from tests.support.stack import on_stack, wait_replayed, wait_until

pytestmark = on_stack


@pytest.fixture
def ops_client():
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_user("ops-cluster", password="x-test-pass-1", is_staff=True))
    wait_replayed()
    return client


def fresh_backup_status() -> dict:
    cache.delete(cluster.BACKUP_STATUS_KEY)  # the status keeps an answer BACKUP_STATUS_CACHE_SECONDS
    return cluster.last_backup()


def archived_count() -> int:
    return cluster.archive().get("archived") or 0


def test_healthz_and_replication_status_show_members_sync_standby_archive_and_last_backup(ops_client):
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_switch_wal()")  # something for this primary's archiver to have archived
    wait_until(lambda: archived_count() > 0, timeout=60, message="the primary to archive a WAL segment")
    fresh_backup_status()

    body = ops_client.get("/healthz").json()

    assert body["status"] == "ok", body
    members = body["cluster"]
    roles = sorted(m["role"] for m in members["members"])
    assert members["up"] and roles == ["primary", "replica", "sync_standby"], members
    assert members["primary"] == leader() and len(members["synchronous_standby"]) == 1
    for member in members["members"]:
        assert member["state"] in ("running", "streaming") and member["timeline"] >= 1
        if member["role"] != "primary":
            assert member["lag_bytes"] is not None
    assert body["archive"]["mode"] == "on" and body["archive"]["archived"] > 0
    assert body["archive"]["failing"] is False
    assert body["backup"]["known"] and body["backup"]["last"] and body["backup"]["count"] >= 1

    out = io.StringIO()
    call_command("replication_status", stdout=out, no_color=True)
    text = out.getvalue()
    assert f"cluster   primary {leader()}, synchronous standby {members['synchronous_standby'][0]}" in text
    assert "WAL files archived" in text and "FAILING" not in text
    assert f"backup    last {body['backup']['last']} ({body['backup']['type']})" in text


def test_beat_schedules_nightly_backups_and_the_worker_takes_one_that_the_status_shows(celery_worker_process):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "hmis.ops.backup"]
    kinds = sorted(e["kwargs"]["kind"] for e in entries)
    assert kinds == ["full", "incr"]  # weekly full, nightly incremental
    before = fresh_backup_status()

    backup.delay(kind="incr")  # what beat sends every night, through the broker to the worker

    after = wait_until(
        lambda: (status := fresh_backup_status()).get("last") not in (None, before.get("last")) and status,
        timeout=180,
        interval=1,
        message="the worker's backup in the repository",
    )
    assert after["type"] == "incr" and after["age_hours"] < 0.1
    assert after["count"] == before["count"] + 1
