"""Fixtures for tests on the real stack: a Celery worker, API clients per role, a signed-in browser.
Registered for every test by the root conftest.py (pytest_plugins)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from core.events.outbox import LIVE_QUEUE
from core.routing import health

ROOT = Path(__file__).resolve().parents[2]


def _pong(app, hostname: str) -> bool:
    try:
        return bool(app.control.ping(destination=[hostname], timeout=0.5))
    except Exception:  # noqa: BLE001 (a stale broker connection: drop it and ask again)
        _fresh_broker_pool(app)
        return False


def _fresh_broker_pool(app) -> None:
    """Drop the publisher's pooled broker connections; Celery builds new ones on next use."""
    from kombu import pools

    pools.reset()  # closes and forgets every pooled connection and producer
    app._pool = None
    app.amqp._producer_pool = None
    # The result backend keeps its own connections (and a pub/sub one for .get()): renew it too.
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


def _db_url(alias: str) -> str:
    s = connections[alias].settings_dict
    # HOST and PORT may each list several nodes (the primary's multi-host URL), paired in order.
    hosts = ",".join(f"{h}:{p}" for h, p in zip(str(s["HOST"]).split(","), str(s["PORT"]).split(","), strict=True))
    options = "&".join(f"{k}={v}" for k, v in s.get("OPTIONS", {}).items() if k == "target_session_attrs")
    return f"postgres://{s['USER']}@{hosts}/{s['NAME']}" + (f"?{options}" if options else "")


@pytest.fixture
def celery_worker_process(django_db_setup, django_db_blocker, request):
    """A real Celery worker (prefork, like production) with beat, on the test database and test Redis.

    Per test: a worker left running would refresh projections behind the backs of later tests.
    """
    from hmis.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hmis.settings.test",
        "DATABASE_URL": _db_url("default"),
        "REPLICA_DATABASE_URLS": ",".join(_db_url(a) for a in health.standby_aliases()),
        # The worker runs as the app role, as deployed (core/db_roles.py): refreshes prove it is enough.
        "DATABASE_USER": settings.DATABASE_APP_ROLE,
        # Tests pause replay on purpose: here only read-your-writes tokens, not lag, keep tasks off a standby.
        "REPLICA_MAX_LAG_SECONDS": "3600",
        # The embedded beat sweeps often, so outbox events the relay could not enqueue are found quickly.
        "PROJECTION_SWEEP_SECONDS": "1",
        # Its pool's metrics, merged and served by its parent (core/metrics.py), as deployed.
        "PROMETHEUS_MULTIPROC_DIR": str(ROOT / ".stack" / "metrics" / f"test-worker-{os.getpid()}"),
        "METRICS_WORKER_PORT": str(metrics_port := free_port()),
    }
    _fresh_broker_pool(app)
    # Refreshes enqueued by earlier tests (no worker ran them) describe data that is gone: a fresh worker
    # must not spend the test working through them before the test's own tasks.
    app.control.purge()
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(LIVE_QUEUE)
    hostname = f"test-worker-{os.getpid()}-{time.monotonic_ns()}@localhost"
    # One log for the session, a header per test: a failure's worker log survives the tests after it.
    log = open(ROOT / ".stack" / "log" / "test-worker.log", "a")  # noqa: SIM115 (closed at teardown)
    log.write(f"\n===== {request.node.nodeid} ({time.strftime('%H:%M:%S')}) =====\n")
    log.flush()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hmis",
            "worker",
            "--beat",
            "--schedule",
            str(ROOT / ".stack" / "test-celerybeat-schedule"),
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--queues",  # production runs a worker of its own for the live boards; here one serves both
            f"celery,{LIVE_QUEUE}",
            "--hostname",
            hostname,
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: teardown stops the pool and the beat too
    )
    _fresh_broker_pool(app)  # connections from before a Redis restart (fault tests) are dead
    deadline = time.monotonic() + 60
    while not _pong(app, hostname):
        if worker.poll() is not None or time.monotonic() > deadline:
            _stop(worker)
            raise RuntimeError(f"the Celery worker did not start; see {log.name}")
    worker.metrics_port = metrics_port
    yield worker
    _stop(worker)
    log.close()


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(worker) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(worker.pid, sig)
        except ProcessLookupError:
            return
        try:
            worker.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def api_as():
    """api_as("clinician", ...) -> a DRF test client authenticated with a fresh API key holding those roles."""
    from django.core.management import call_command
    from rest_framework.test import APIClient

    made = []

    def make(*roles: str) -> APIClient:
        import io

        out = io.StringIO()
        call_command("create_api_client", f"it-{'-'.join(roles) or 'none'}-{len(made)}", roles=list(roles), stdout=out)
        key = out.getvalue().strip().splitlines()[-1].split("Api-Key ")[1]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        made.append(client)
        return client

    return make


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (installed by .ci/run; no browser download)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still plain
    # synchronous code, so Django's async-safety guard is lifted for the test process only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browse(chromium, live_server):
    """browse(username) -> a signed-in Playwright page on the live server (a fresh browser context)."""
    from tests.support.stack import wait_replayed

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    contexts = []

    def sign_in(username: str, password: str = "x-test-pass-1"):
        wait_replayed()  # the user was just written on the primary; the login page reads a standby
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield sign_in
    for context in contexts:
        context.close()
