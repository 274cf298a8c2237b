"""Helpers for tests that take the database cluster apart (Patroni, etcd) and put it back together."""

import json
import os
import subprocess
import threading
import time

import psycopg
import pytest
from django.db import close_old_connections, connections

from core.routing import failover, health
from ops import cluster
from tests.support.stack import STACK, stack_ctl, wait_until


def leader() -> str | None:
    return cluster.members().get("primary")


def member(name: str) -> dict:
    return next((m for m in cluster.members()["members"] if m["name"] == name), {})


def timeline() -> int | None:
    return member(leader() or "").get("timeline")


def standby_nodes() -> list[str]:
    """Numbers of the nodes that are not the primary now (stack.sh stop-node / start-node take them)."""
    return [m["name"].removeprefix("node") for m in cluster.members()["members"] if m["role"] != "primary"]


def put_back(*, node1_leads: bool = False) -> None:
    """Every server running (a killed node rejoins), the app's memory of the cluster reset; and node1 the
    primary again if asked (the tests outside this folder expect it)."""
    stack_ctl("up")
    if node1_leads:
        stack_ctl("switchover", "1")
    health.reset()
    failover.forget()
    connections.close_all()


@pytest.fixture(scope="module")
def database_url_names_every_node():
    """The failover tests need an app that can follow the primary: DATABASE_URL naming every node."""
    from django.conf import settings

    hosts = str(settings.DATABASES["default"]["HOST"]).split(",")
    if len(hosts) < 2:
        pytest.fail(
            "DATABASE_URL names one node: the app cannot follow a failover. List every node with "
            "target_session_attrs=read-write, or leave DATABASE_URL unset (the default follows PG_PRIMARY_PORT "
            "and PG_STANDBY_BASE_PORT)"
        )


@pytest.fixture
def whole_cluster_after():
    """Whatever the test does to the cluster, it is whole again afterwards (whoever leads)."""
    yield
    put_back()


@pytest.fixture(scope="module")
def node1_leads_afterwards():
    """One switchover back to node1 per module rather than one per test (each takes seconds)."""
    yield
    put_back(node1_leads=True)


class InProcess:
    """An API client for the writers (workload.py): Django's test client, one per thread, with connections
    closed after each request as the request cycle of a real server does (a broken one is replaced)."""

    def __init__(self, api_client):
        self.api = api_client
        self.api.raise_request_exception = False  # a 500 is an answer to record, not a crash of the writer

    def _answer(self, response):
        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            body = None
        close_old_connections()
        return response.status_code, body, response.headers.get("Idempotent-Replayed") == "true"

    def post(self, path: str, body: dict, key: str):
        return self._answer(self.api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key))

    def get(self, path: str):
        return self._answer(self.api.get(path))


class Reader(threading.Thread):
    """A plain reader (no writes of its own, so standbys serve it): counts the answers that were not 200."""

    def __init__(self, client, stop: threading.Event):
        super().__init__(name="reader", daemon=True)
        self.client, self.stop, self.answers, self.failures = client, stop, 0, []

    def run(self):
        while not self.stop.is_set():
            status, _, _ = self.client.get("/api/v1/patients/?page_size=5")
            self.answers += 1
            if status != 200:
                self.failures.append(status)
            time.sleep(0.02)


def wait_for_a_write_after(log, moment: float, timeout: float = 60) -> float:
    """Seconds from `moment` to the first 2xx answer to a write sent after it."""
    first = wait_until(lambda: log.first_write_sent_after(moment), timeout=timeout, message="a write after the fault")
    return first - moment


def restore_port() -> int:
    """Where stack.sh restores (PG_RESTORE_PORT, by default the standby base port + 8)."""
    return int(os.environ.get("PG_RESTORE_PORT") or int(os.environ.get("PG_STANDBY_BASE_PORT", "55433")) + 8)


def stack_run(*args: str, database: str | None = None) -> subprocess.CompletedProcess:
    """stack.sh with its output kept (restore reports what it restored); never raises on failure."""
    env = {**os.environ, **({"RESTORE_DATABASE": database} if database else {})}
    return subprocess.run([str(STACK), *args], capture_output=True, text=True, timeout=600, env=env, check=False)


def restored(database: str):
    """A connection to the restored cluster's copy of `database`."""
    return psycopg.connect(host="127.0.0.1", port=restore_port(), user="postgres", dbname=database, autocommit=True)
