"""Test fixtures for the real stack (see hmis/testing.py for the helpers tests import)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connections

from hmis.routing import health

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _fresh_routing_health():
    """Each test starts with no remembered standby health (as a new process would)."""
    health.reset()
    yield
    health.reset()


@pytest.fixture(scope="session", autouse=True)
def _empty_test_redis():
    for url in {settings.REDIS_URL, settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND}:
        redis.Redis.from_url(url).flushdb()


def _db_url(alias: str) -> str:
    s = connections[alias].settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker (prefork, like production) on the test database and test Redis."""
    from hmis.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hmis.settings_test",
        "DATABASE_URL": _db_url("default"),
        "REPLICA_DATABASE_URLS": ",".join(_db_url(a) for a in health.standby_aliases()),
        # Tests pause replay on purpose: here only read-your-writes tokens, not lag, keep tasks off a standby.
        "REPLICA_MAX_LAG_SECONDS": "3600",
    }
    log = open(ROOT / ".stack" / "log" / "test-worker.log", "w")  # noqa: SIM115 (closed at teardown)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hmis",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--hostname",
            f"test-worker-{os.getpid()}@%h",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start; see {log.name}")
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
    log.close()


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
