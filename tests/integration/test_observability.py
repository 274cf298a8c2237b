"""What operators get (issue 26): liveness and readiness for load balancers, /metrics for Prometheus (who may
read it, and that its families report the stack as it is). The real Prometheus scrape against gunicorn and
the worker: test_prometheus_scrape.py."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from clinical import commands
from core import lifecycle
from core.events import outbox
from core.routing import state
from core.routing.router import read_alias
from reports.engine.refresh import refresh
from tests.support.stack import on_stack, replay_paused, standbys, wait_replayed, wait_until

pytestmark = on_stack


@pytest.fixture
def ops_client():
    client = Client()
    client.force_login(User.objects.create_user("ops-obs", password="x-test-pass-1", is_staff=True))
    wait_replayed()
    return client


def samples(client: Client, **headers) -> dict[tuple, float]:
    """/metrics as {(sample name, sorted label pairs...): value}."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, *sorted(labels.items())), 0.0)


def register(family="Okafor"):
    return commands.patient_register(
        given_name="Amara", family_name=family, date_of_birth=datetime.date(1984, 3, 12), sex="female"
    )


def test_liveness_asks_nothing_and_says_nothing():
    response = Client().get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_is_a_verdict_for_anyone_and_the_checks_for_operators(ops_client):
    anonymous = Client().get("/healthz/ready")
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ready"}  # no servers, versions or errors
    detailed = ops_client.get("/healthz/ready").json()
    assert detailed["status"] == "ready"
    assert detailed["checks"] == {"primary": {"ok": True}, "migrations": {"ok": True}, "accepting": {"ok": True}}


def test_a_process_told_to_stop_is_not_ready(ops_client):
    lifecycle.begin_shutdown()
    try:
        response = Client().get("/healthz/ready")
        assert response.status_code == 503
        assert response.json() == {"status": "not ready"}
        assert ops_client.get("/healthz/ready").json()["checks"]["accepting"] == {"ok": False}
        assert Client().get("/healthz/live").status_code == 200  # alive all the same: no restart wanted
    finally:
        lifecycle.reset()


def test_metrics_answer_a_token_from_anywhere_and_refuse_others_off_the_allowed_networks():
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert Client().get("/metrics", **outside).status_code == 403
    token = "scrape-" + "t" * 40
    with override_settings(METRICS_TOKEN=token):
        assert Client().get("/metrics", **outside).status_code == 403
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 403
        assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **outside).status_code == 200
    with override_settings(METRICS_ALLOWED_NETWORKS=["203.0.113.0/24"]):
        assert Client().get("/metrics", **outside).status_code == 200
        assert Client().get("/metrics").status_code == 403  # loopback is no longer listed
    # A signed-in role is no pass: metrics are for Prometheus.
    user = User.objects.create_user("clerk-obs", password="x-test-pass-1", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get("/metrics", **outside).status_code == 403


def test_metrics_count_requests_queries_per_alias_and_router_decisions():
    client = Client()
    before = samples(client)
    for _ in range(3):
        assert client.get("/healthz/live").status_code == 200
    register()
    with state.unit_of_work(min_lsn=None):
        assert read_alias() in standbys()
    after = samples(client)
    got = value(after, "hmis_http_requests_total", view="healthz-live", method="GET", status="200")
    assert got - value(before, "hmis_http_requests_total", view="healthz-live", method="GET", status="200") == 3
    assert value(after, "hmis_http_request_duration_seconds_count", view="healthz-live", method="GET") >= 3
    writes = "hmis_db_query_duration_seconds_count"
    assert value(after, writes, alias="default", kind="write") > value(before, writes, alias="default", kind="write")
    assert value(after, "hmis_router_decisions_total", decision="standby") > value(
        before, "hmis_router_decisions_total", decision="standby"
    )
    # The URL's name, never a path with an id in it.
    assert not any("/patients/" in str(key) for key in after)


def test_metrics_report_the_servers_and_the_read_side_as_they_are():
    register()
    refresh("ar_aging", force=True)
    wait_replayed()
    found = samples(Client())
    assert value(found, "hmis_primary_up") == 1
    assert value(found, "hmis_redis_up") == 1
    assert value(found, "hmis_cluster_up") == 1
    assert sum(v for k, v in found.items() if k[0] == "hmis_cluster_member_role" and ("role", "primary") in k) == 1
    for alias in standbys():
        assert value(found, "hmis_replica_up", alias=alias) == 1
        assert value(found, "hmis_replica_replay_paused", alias=alias) == 0
        assert value(found, "hmis_db_alias_info", alias=alias, server=_server(alias)) == 1
    assert 0 <= value(found, "hmis_projection_staleness_seconds", projection="ar_aging") < 60
    assert value(found, "hmis_projection_staleness_goal_seconds", projection="ar_aging") > 0
    assert ("hmis_outbox_backlog_events", ("projection", "ar_aging")) in found
    assert ("hmis_celery_queue_length", ("queue", "celery")) in found
    assert value(found, "hmis_audit_spool_events") == 0
    assert not [k for k in found if k[0] == "hmis_collect_errors"], "every part was measured"


def test_a_paused_standby_shows_its_lag_and_unseen_writes_show_as_backlog():
    standby = standbys()[0]
    refresh("patient_alerts", force=True)
    with replay_paused(standby):
        patient = register("Lagging")
        with transaction.atomic(using="default"):  # a change the projection has not seen yet
            outbox.record(("patient_alerts",), "clinical.patient", patient.pk)
        found = wait_until(
            lambda: (f := samples(Client())) and value(f, "hmis_replica_lag_bytes", alias=standby) > 0 and f,
            message="the paused standby's lag",
        )
        assert value(found, "hmis_replica_replay_paused", alias=standby) == 1
        assert value(found, "hmis_outbox_backlog_events", projection="patient_alerts") >= 1
        assert value(found, "hmis_outbox_oldest_unseen_seconds", projection="patient_alerts") >= 0
    refresh("patient_alerts")
    assert value(samples(Client()), "hmis_outbox_backlog_events", projection="patient_alerts") == 0


def _server(alias):
    from django.db import connections

    s = connections[alias].settings_dict
    return f"{s['HOST']}:{s['PORT']}"


def test_one_json_line_per_request_with_its_ids_and_statements_per_alias(caplog):
    import json
    import logging

    from core.logs import JsonFormatter

    caplog.set_level(logging.INFO, logger="hmis.request")
    register()
    response = Client().get("/healthz/ready", HTTP_X_REQUEST_ID="lb-probe-7")
    assert response["X-Request-ID"] == "lb-probe-7"
    assert len(Client().get("/healthz/live", HTTP_X_REQUEST_ID="bad id; drop table")["X-Request-ID"]) == 32
    record = next(r for r in caplog.records if r.name == "hmis.request" and r.path == "/healthz/ready")
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "request" and line["status"] == 200 and line["level"] == "INFO"
    assert line["request_id"] == "lb-probe-7" and line["logger"] == "hmis.request"
    assert line["queries"]["default"] >= 1 and line["query_ms"]["default"] > 0
    assert "trace_id" in line  # null while tracing is off
    other = logging.LogRecord("hmis.x", logging.WARNING, __file__, 1, "plain %s", ("text",), None)
    assert json.loads(JsonFormatter().format(other))["message"] == "plain text"


def test_the_system_page_is_for_admins_and_shows_the_servers_even_without_prometheus(ops_client):
    from tests.support.factories.clinical import UserFactory

    admin = Client()
    admin.force_login(UserFactory(username="obs-admin", is_staff=True, roles=["admin"]))
    wait_replayed()
    with override_settings(PROMETHEUS_URL="http://127.0.0.1:9"):  # nothing listens there
        page = admin.get("/admin/system/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="prometheus-unavailable"' in html
    for alias in standbys():
        assert f"<td>{alias}</td>" in html
    assert "serving reads" in html and "Patroni" in html
    assert 'href="/admin/system/"' in admin.get("/admin/").content.decode()  # linked from the admin's index
    assert ops_client.get("/admin/system/").status_code == 403  # staff, not an admin
    assert 'href="/admin/system/"' not in ops_client.get("/admin/").content.decode()
    anonymous = Client().get("/admin/system/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_idempotent_replays_and_throttled_requests_are_counted(api_as, settings):
    api = api_as("clinician")
    before = samples(Client())
    patient = {"given_name": "Grace", "family_name": "Mwangi", "date_of_birth": "1948-05-17", "sex": "female"}
    for _ in range(2):
        answer = api.post("/api/v1/patients/", patient, format="json", HTTP_IDEMPOTENCY_KEY="obs-replay-1")
        assert answer.status_code == 201
    assert answer["Idempotent-Replayed"] == "true"
    settings.API_THROTTLE_RATE = "3/min"
    throttled_client = api_as("report_viewer")
    statuses = [throttled_client.get("/api/v1/reports/ar-aging/").status_code for _ in range(5)]
    assert 429 in statuses
    after = samples(Client())
    assert value(after, "hmis_idempotent_replays_total") - value(before, "hmis_idempotent_replays_total") == 1
    throttled = value(after, "hmis_throttled_requests_total", reason="rate")
    assert throttled - value(before, "hmis_throttled_requests_total", reason="rate") == statuses.count(429)
