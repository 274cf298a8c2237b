"""Helpers for tests that run on the real stack: pause replay, stop standbys, see which alias served."""

import json
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from core.routing import health
from core.routing import lsn as lsn_mod
from core.routing.standby.base import wait_for_replay

# Tests that need committed data visible on the standbys (and may query any alias).
on_stack = pytest.mark.django_db(transaction=True, databases="__all__")

STACK = Path(settings.BASE_DIR) / "stack" / "stack.sh"


def standbys() -> list[str]:
    return health.standby_aliases()


def wait_replayed(*aliases: str, timeout: float = 30) -> None:
    """Wait until the given standbys (default: all) have replayed everything committed so far."""
    target = lsn_mod.primary_lsn()
    for alias in aliases or standbys():
        wait_for_replay(connections[alias], target, timeout=timeout)


def run_sql(alias: str, sql: str):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0] if cursor.description else None


def _patroni(method: str, path: str, body: dict | None = None, url: str | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{url or settings.PATRONI_URLS[0]}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


@contextmanager
def patroni_paused():
    """Patroni's maintenance mode: no failover, and no node resumes a paused WAL replay (Patroni does that
    on every loop otherwise)."""
    _patroni("PATCH", "/config", {"pause": True})
    wait_until(
        lambda: all(_patroni("GET", "/patroni", url=u).get("pause") for u in settings.PATRONI_URLS),
        timeout=15,
        message="every Patroni node paused",
    )
    try:
        yield
    finally:
        _patroni("PATCH", "/config", {"pause": None})


@contextmanager
def replay_paused(*aliases: str):
    """Pause WAL replay on these standbys (they keep receiving WAL but apply none of it)."""
    aliases = aliases or tuple(standbys())
    with patroni_paused():
        for alias in aliases:
            run_sql(alias, "SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            for alias in aliases:
                run_sql(alias, "SELECT pg_wal_replay_resume()")


def stack_ctl(*args: str) -> None:
    connections.close_all()
    subprocess.run([str(STACK), *args], check=True, capture_output=True, timeout=120)


@contextmanager
def standby_stopped(number: int):
    """Stop standby N (1-based, as in stack/stack.sh) and start it again afterwards."""
    stack_ctl("stop-standby", str(number))
    try:
        yield
    finally:
        stack_ctl("start-standby", str(number))
        health.reset()


def wait_until(predicate, timeout: float = 20, interval: float = 0.1, message: str = "condition", describe=None):
    """Poll `predicate` until it is truthy; on time-out say what was awaited (and `describe()`, if given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}" + (f": {describe()}" if describe else ""))


def served_by(caplog, path: str | None = None) -> dict[str, int]:
    """Queries per alias of the last request (to `path`, if given), from the request log line."""
    records = [r for r in caplog.records if r.name == "hmis.request" and (path is None or r.path == path)]
    assert records, f"no request log line for {path or 'any path'}"
    return records[-1].queries


def shot(page, name: str) -> None:
    """A full-page screenshot for people to look at (artifacts/screenshots/, git-ignored)."""
    folder = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(client, user) -> None:
    """force_login writes the session on the primary outside any request (so no read-your-writes cookie):
    wait until the standbys have it before the next request reads it there."""
    client.force_login(user)
    wait_replayed()


def in_parallel(count: int, work):
    """Run `work(i)` in `count` threads at once, each on its own database connection."""
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=30)
            return work(i)
        except Exception as exc:  # noqa: BLE001 (the caller inspects each outcome)
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))
