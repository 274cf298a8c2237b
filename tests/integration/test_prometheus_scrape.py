"""A real Prometheus (Debian's package) scrapes gunicorn (two workers, multiprocess metrics) and the Celery
worker on loopback, with the shipped alert rules loaded; after a scripted workload (writes through the API,
a report, a paused standby) its HTTP API must show the metrics with the values the workload implies.

The exact request count is the multiprocess proof: the requests are spread over two gunicorn workers, and
the one answering the scrape must report all of them.
"""

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.support.fixtures import _db_url, _stop, free_port
from tests.support.stack import in_parallel, on_stack, replay_paused, shot, standbys, wait_replayed, wait_until

pytestmark = [
    on_stack,
    pytest.mark.skipif(
        shutil.which("prometheus") is None,
        reason="prometheus is not installed (apt-get install prometheus; `make test` does it as root)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / ".stack" / "log"
NEW_PATIENT = {
    "given_name": "Grace", "family_name": "Mwangi", "date_of_birth": "1948-05-17", "sex": "female", "confirm_new": True
}  # fmt: skip


def _get(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:  # not listening (yet)
        return 0, b""


@pytest.fixture
def gunicorn(django_db_setup, tmp_path):
    from core.routing import health

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hmis.settings.test",
        "DATABASE_URL": _db_url("default"),
        "REPLICA_DATABASE_URLS": ",".join(_db_url(a) for a in health.standby_aliases()),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "web-metrics"),
        "WEB_CONCURRENCY": "2",
    }
    log = open(LOG_DIR / "test-gunicorn.log", "w")  # noqa: SIM115 (closed at teardown)
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "hmis.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(f"{url}/healthz/live")[0] == 200 if web.poll() is None else True, timeout=60)
        assert web.poll() is None, f"gunicorn did not start: see {log.name}"
        yield url
    finally:
        _stop(web)
        log.close()


@pytest.fixture
def prometheus(gunicorn, celery_worker_process, tmp_path):
    port = free_port()
    web = gunicorn.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        json.dumps(  # JSON is YAML
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(ROOT / "ops" / "prometheus" / "alerts.yml")],
                "scrape_configs": [
                    {"job_name": "hmis-web", "static_configs": [{"targets": [web]}]},
                    {
                        "job_name": "hmis-worker",
                        "static_configs": [{"targets": [f"127.0.0.1:{celery_worker_process.metrics_port}"]}],
                    },
                ],
            }
        )
    )
    log = open(LOG_DIR / "test-prometheus.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(f"{url}/-/ready")[0] == 200, timeout=60, message="Prometheus to be ready")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        log.close()


def query(prometheus: str, promql: str) -> dict[tuple, float]:
    """An instant query: {sorted label pairs (without __name__): value}."""
    status, body = _get(f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
    assert status == 200, body
    answer = json.loads(body)
    return {
        tuple(sorted((k, v) for k, v in r["metric"].items() if k != "__name__")): float(r["value"][1])
        for r in answer["data"]["result"]
    }


def one(prometheus: str, promql: str) -> float | None:
    found = query(prometheus, promql)
    return next(iter(found.values())) if found else None


def test_prometheus_scrapes_web_and_worker_and_sees_the_workload(
    gunicorn, prometheus, celery_worker_process, tmp_path, browse
):
    out = io.StringIO()
    call_command("create_api_client", "scrape-test", roles=["clinician", "report_viewer"], stdout=out)
    key = out.getvalue().strip().splitlines()[-1].split("Api-Key ")[1]
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    wait_replayed()

    # Both targets up, the shipped rules loaded.
    wait_until(lambda: one(prometheus, 'min(up{job=~"hmis-.*"})') == 1, timeout=30, message="both targets up")
    status, body = _get(f"{prometheus}/api/v1/rules")
    assert {g["name"] for g in json.loads(body)["data"]["groups"]} == {"hmis-recording", "hmis"}

    # Writes through the API (the primary; outbox; the worker refreshes), reads of a report (a standby).
    writes, reads = 6, 8
    for index in range(writes):
        patient = {**NEW_PATIENT, "family_name": f"Scrape{index}"}
        status, body = _get(f"{gunicorn}/api/v1/patients/", headers, json.dumps(patient).encode())
        assert status == 201, body
    report_url = f"{gunicorn}/api/v1/reports/ar-aging/?group_by=payer"
    answers = in_parallel(reads, lambda _: _get(report_url, {"Authorization": headers["Authorization"]}))
    assert [status for status, _ in answers] == [200] * reads

    created = 'sum(hmis_http_requests_total{job="hmis-web",view="patient-list",method="POST",status="201"})'
    wait_until(lambda: one(prometheus, created) == writes, timeout=30, message=f"{writes} POSTs counted")
    report = 'sum(hmis_http_requests_total{job="hmis-web",view="report-ar-aging",method="GET",status="200"})'
    wait_until(lambda: one(prometheus, report) == reads, timeout=30, message=f"{reads} report reads counted")
    # Both gunicorn workers answered (each records into files named for its pid), and the scrape merged them.
    pids = {path.stem.rsplit("_", 1)[1] for path in (tmp_path / "web-metrics").glob("counter_*.db")}
    assert len(pids) >= 2, pids

    # Statements per alias: writes on the primary, report reads on a standby.
    by_alias = query(prometheus, 'sum by (alias, kind) (hmis_db_query_duration_seconds_count{job="hmis-web"})')
    assert by_alias[(("alias", "default"), ("kind", "write"))] >= writes
    assert sum(v for k, v in by_alias.items() if dict(k)["alias"] != "default" and dict(k)["kind"] == "read") > 0
    assert one(prometheus, 'sum(hmis_router_decisions_total{job="hmis-web",decision="standby"})') > 0

    # The worker: refresh tasks succeeded, projections refreshed, recorded by its pool, served by its parent.
    wait_until(
        lambda: (one(prometheus, 'sum(hmis_projection_refreshes_total{job="hmis-worker"})') or 0) > 0,
        timeout=60,
        message="refreshes counted by the worker",
    )
    assert one(prometheus, 'sum(hmis_celery_tasks_total{job="hmis-worker",outcome="succeeded"})') > 0
    assert one(prometheus, 'sum(hmis_celery_task_duration_seconds_count{job="hmis-worker"})') > 0
    wait_until(
        lambda: (one(prometheus, 'hmis_worker_heartbeat_age_seconds{job="hmis-web"}') or 1e9) < 60,
        timeout=30,
        message="the worker's heartbeat",
    )

    # The servers as they are: primary up, standbys replaying; then one standby paused falls behind.
    assert one(prometheus, 'hmis_primary_up{job="hmis-web"}') == 1
    assert one(prometheus, 'hmis_redis_up{job="hmis-web"}') == 1
    standby = standbys()[0]
    with replay_paused(standby):
        status, body = _get(f"{gunicorn}/api/v1/patients/", headers, json.dumps(NEW_PATIENT).encode())
        assert status == 201, body
        wait_until(
            lambda: (
                one(prometheus, f'hmis_replica_replay_paused{{alias="{standby}"}}') == 1
                and (one(prometheus, f'hmis_replica_lag_bytes{{alias="{standby}"}}') or 0) > 0
            ),
            timeout=30,
            message="the paused standby's lag in Prometheus",
        )
    other = standbys()[1]
    assert one(prometheus, f'hmis_replica_replay_paused{{alias="{other}"}}') == 0
    assert one(prometheus, 'max(hmis_projection_staleness_seconds{job="hmis-web"})') is not None
    assert one(prometheus, 'count(hmis_cluster_member_role{role="primary"})') == 1

    # The admin's System page draws the last hour from this Prometheus.
    from django.test import Client, override_settings

    from tests.support.factories.clinical import UserFactory

    admin = Client()
    admin.force_login(UserFactory(username="scrape-admin", is_staff=True, roles=["admin"]))  # x-test-pass-1
    wait_replayed()
    with override_settings(PROMETHEUS_URL=prometheus):
        page = admin.get("/admin/system/")
    assert page.status_code == 200
    charts = {c["id"]: c for c in json.loads(_json_script(page.content.decode(), "chart-data"))}
    assert set(charts) == {"lag", "staleness", "backlog", "latency"}
    assert {d["label"] for d in charts["lag"]["datasets"]} == set(standbys())
    assert len(charts["lag"]["labels"]) == 121  # every 30 s of the last hour
    latest = [v for d in charts["latency"]["datasets"] for v in d["data"] if v is not None]
    assert latest and all(0 < v < 10_000 for v in latest)  # milliseconds
    assert any(v is not None for d in charts["backlog"]["datasets"] for v in d["data"])

    # In a browser (the live server, same settings): Chart.js draws the four charts under the CSP.
    with override_settings(PROMETHEUS_URL=prometheus):
        browser = browse("scrape-admin")
        errors = []
        browser.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        browser.goto("/admin/system/")
        drawn = browser.evaluate(
            "['lag', 'staleness', 'backlog', 'latency'].map("
            "id => Chart.getChart(document.getElementById('chart-' + id)).data.datasets.length)"
        )
        shot(browser, "admin-system")
    assert drawn[0] == len(standbys()) and all(count >= 1 for count in drawn[1:]), drawn
    assert not errors, errors


def _json_script(html: str, element_id: str) -> str:
    import html as html_lib
    import re

    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no {element_id} in the page"
    return html_lib.unescape(match.group(1))
