"""Routing on the real stack: reads on hot standbys, writes on the primary, read-your-writes by LSN."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.db import DatabaseError, connections

from clinical import commands
from clinical.models import Patient
from core.routing import health, state
from core.routing import lsn as lsn_mod
from core.routing.router import read_alias
from tests.support.stack import (
    on_stack,
    replay_paused,
    run_sql,
    served_by,
    standby_stopped,
    standbys,
    wait_replayed,
    wait_until,
)

pytestmark = on_stack


def register(family="Okafor"):
    return commands.patient_register(
        given_name="Amara", family_name=family, date_of_birth=datetime.date(1984, 3, 12), sex="female"
    )


@pytest.fixture
def ops_client():
    """An operator (staff): the one who sees /healthz in detail."""
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_user("ops-test", password="x-test-pass-1", is_staff=True))
    wait_replayed()
    return client


@pytest.fixture
def clinician_client(client):
    user = User.objects.create_user("dr-test", password="x-test-pass-1")
    user.groups.add(Group.objects.get(name="clinician"))
    client.force_login(user)
    wait_replayed()
    return client


@pytest.fixture
def admin_client_on_stack(client):
    user = User.objects.create_superuser("root-test", password="x-test-pass-1")
    client.force_login(user)
    wait_replayed()
    return client


def test_api_read_is_served_by_a_server_in_recovery(clinician_client, caplog):
    register()
    wait_replayed()
    caplog.set_level("INFO", logger="hmis.request")

    response = clinician_client.get("/api/v1/patients/")

    assert response.status_code == 200
    assert [p["family_name"] for p in response.json()["results"]] == ["Okafor"]
    served = served_by(caplog, "/api/v1/patients/")
    assert served.get("default", 0) == 0, served
    assert served, "the request ran no query"
    for alias in served:
        assert run_sql(alias, "SELECT pg_is_in_recovery()") is True


def test_reads_come_from_the_standby_not_the_primary(clinician_client):
    """With replay paused, a row written on the primary by someone else is not yet visible: proof of origin."""
    with replay_paused():
        register(family="Behind")
        response = clinician_client.get("/api/v1/patients/")
        assert response.status_code == 200
        assert response.json()["count"] == 0
    wait_replayed()
    assert clinician_client.get("/api/v1/patients/").json()["count"] == 1


def test_a_write_through_the_replica_alias_fails():
    for alias in standbys():
        with pytest.raises(DatabaseError, match="read-only"):
            Patient.objects.using(alias).create(
                mrn=f"RO-{alias}", given_name="A", family_name="B", date_of_birth=datetime.date(2000, 1, 1)
            )
    assert not Patient.objects.using("default").filter(mrn__startswith="RO-").exists()


def test_admin_post_redirect_get_shows_the_new_row_while_replay_is_paused(admin_client_on_stack, caplog):
    client = admin_client_on_stack
    caplog.set_level("INFO", logger="hmis.request")
    with replay_paused():
        response = client.post(
            "/admin/clinical/patient/add/",
            {
                "mrn": "",
                "given_name": "Jonas",
                "family_name": "Lindqvist",
                "date_of_birth": "1957-11-02",
                "sex": "male",
                "phone": "",
                "address": "",
            },
        )
        assert response.status_code == 302, response.content[:2000]
        page = client.get(response["Location"])
        assert "Lindqvist" in page.content.decode()
        # Nothing new is visible on the paused standbys, so the read-your-writes token sent it to the primary.
        assert set(served_by(caplog, "/admin/clinical/patient/")) == {"default"}

    wait_replayed()
    page = client.get("/admin/clinical/patient/")
    assert "Lindqvist" in page.content.decode()
    served = served_by(caplog, "/admin/clinical/patient/")
    assert served.get("default", 0) == 0 and set(served) <= set(standbys()), served


def test_api_post_then_get_sees_the_row_while_replay_is_paused(clinician_client):
    with replay_paused():
        created = clinician_client.post(
            "/api/v1/patients/",
            {"given_name": "Priya", "family_name": "Raman", "date_of_birth": "1992-07-23", "sex": "female"},
            content_type="application/json",
        )
        assert created.status_code == 201, created.json()
        patient_id = created.json()["id"]
        detail = clinician_client.get(f"/api/v1/patients/{patient_id}/")
        assert detail.status_code == 200
        assert detail.json()["mrn"] == created.json()["mrn"]


def test_with_two_standbys_and_one_paused_reads_after_a_write_go_to_the_caught_up_one(
    clinician_client, caplog, settings
):
    # A huge lag allowance: the paused standby stays "healthy", only the LSN check can exclude it.
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    paused, caught_up = standbys()[:2]
    caplog.set_level("INFO", logger="hmis.request")
    with replay_paused(paused):
        created = clinician_client.post(
            "/api/v1/patients/",
            {"given_name": "Mateo", "family_name": "Fernandez", "date_of_birth": "2015-01-30"},
            content_type="application/json",
        )
        assert created.status_code == 201
        wait_replayed(caught_up)
        for _ in range(12):  # random choice among standbys: 12 misses by chance would be 1 in 4096
            response = clinician_client.get("/api/v1/patients/")
            assert response.json()["count"] == 1
            assert set(served_by(caplog, "/api/v1/patients/")) == {caught_up}


def test_router_checks_each_standby_against_the_required_lsn(settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    paused, caught_up = standbys()[:2]
    with replay_paused(paused):
        register()
        required = lsn_mod.primary_lsn()
        wait_replayed(caught_up)
        chosen = set()
        for _ in range(12):
            with state.unit_of_work(min_lsn=required):
                chosen.add(read_alias())
        assert chosen == {caught_up}
    wait_replayed()
    with state.unit_of_work(min_lsn=required):
        assert read_alias() in standbys()


def test_reads_inside_a_transaction_after_a_write_or_a_lock_use_the_primary():
    from django.db import transaction

    with state.unit_of_work():
        assert read_alias() in standbys()
        with transaction.atomic():
            assert read_alias() == "default"
        assert read_alias() in standbys()
    with state.unit_of_work():
        assert Patient.objects.select_for_update().db == "default"
        assert read_alias() == "default"
    with state.unit_of_work():
        register()
        assert read_alias() == "default"


def test_with_the_standbys_stopped_pages_api_and_healthz_answer_and_reads_recover(clinician_client, ops_client, caplog):
    register()
    wait_replayed()
    caplog.set_level("INFO", logger="hmis.request")
    with standby_stopped(1), standby_stopped(2):
        assert clinician_client.get("/").status_code == 200
        response = clinician_client.get("/api/v1/patients/")
        assert response.status_code == 200 and response.json()["count"] == 1
        assert set(served_by(caplog, "/api/v1/patients/")) == {"default"}
        health_report = ops_client.get("/healthz")
        assert health_report.status_code == 200
        body = health_report.json()
        assert body["status"] == "degraded"
        assert body["primary"]["up"] is True
        assert all(s["up"] is False for s in body["standbys"].values())

    def back_on_a_standby():
        health.reset()
        clinician_client.get("/api/v1/patients/")
        served = served_by(caplog, "/api/v1/patients/")
        return served.get("default", 0) == 0 and set(served) <= set(standbys())

    wait_until(back_on_a_standby, timeout=30, message="reads to return to a standby")


def test_healthz_reports_every_part_to_operators_and_only_up_or_down_to_others(ops_client, client):
    assert client.get("/healthz").json() == {"status": "ok"}  # anonymous: nothing about the servers
    body = ops_client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["primary"]["up"] and not body["primary"]["in_recovery"]
    assert set(body["standbys"]) == set(standbys())
    for standby in body["standbys"].values():
        assert standby["up"] and standby["in_recovery"]
        assert standby["lag_bytes"] is not None and standby["lag_seconds"] >= 0
    assert body["redis"]["up"] and body["broker"]["up"]
    assert "last_heartbeat" in body["worker"]


def test_healthz_is_503_when_the_primary_is_down_and_standby_reads_still_work(clinician_client, ops_client):
    register()
    wait_replayed()
    from tests.support.stack import stack_ctl

    stack_ctl("stop-primary")
    try:
        response = ops_client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["primary"]["up"] is False
        assert clinician_client.get("/api/v1/patients/").json()["count"] == 1
    finally:
        stack_ctl("start-primary")
    connections.close_all()
    wait_until(lambda: clinician_client.get("/healthz").status_code == 200, message="the primary to return")


def test_a_celery_task_published_after_a_write_sees_that_write(celery_worker_process):
    from django.db import transaction

    from ops.tasks import locate_row

    with replay_paused():
        with state.unit_of_work():
            patient = register()
            after_write = locate_row.delay("clinical.Patient", patient.pk).get(timeout=30)
        with state.unit_of_work():  # control: no token, so the task reads a (paused) standby and misses the row
            without_token = locate_row.delay("clinical.Patient", patient.pk).get(timeout=30)
        with state.unit_of_work(), transaction.atomic():
            # Published before the commit, so no LSN can cover it: the task is pinned to the primary.
            inside = register(family="Inside")
            pinned = locate_row.apply_async(("clinical.Patient", inside.pk))
        assert pinned.get(timeout=30)["alias"] == "default"
    assert after_write == {"alias": "default", "found": True}
    assert without_token["alias"] in standbys() and without_token["found"] is False

    wait_replayed()
    with state.unit_of_work():
        caught_up = locate_row.delay("clinical.Patient", patient.pk).get(timeout=30)
    assert caught_up["found"] is True and caught_up["alias"] in standbys()


def test_an_api_key_client_without_cookies_reads_its_own_writes(api_as, caplog):
    api = api_as("clinician")
    wait_replayed()
    caplog.set_level("INFO", logger="hmis.request")
    with replay_paused():
        created = api.post(
            "/api/v1/patients/",
            {"given_name": "Elena", "family_name": "Petrova", "date_of_birth": "1995-06-03"},
            format="json",
        )
        assert created.status_code == 201
        api.cookies.clear()  # many integrators' HTTP clients keep no cookies
        detail = api.get(f"/api/v1/patients/{created.json()['id']}/")
        # The row is not on the paused standbys, so a 200 proves the read went to the primary. (Only the
        # API-key lookup, made before the client's position is known, may read a standby.)
        assert detail.status_code == 200
        assert served_by(caplog, f"/api/v1/patients/{created.json()['id']}/").get("default", 0) >= 1
    wait_replayed()
    api.cookies.clear()
    assert api.get(f"/api/v1/patients/{created.json()['id']}/").status_code == 200
    assert set(served_by(caplog, f"/api/v1/patients/{created.json()['id']}/")) <= set(standbys())
