"""Test set-up shared by every test: which tests need the real stack, and what each of those starts from.
Fixtures live in tests/support/fixtures.py, helpers tests import in tests/support/stack.py.

`make test` runs everything on the stack; `make test-unit` runs the tests that need no server
(`-m "not stack"`): a test needs the stack when it uses the database or one of the STACK_FIXTURES, or is
marked `stack` itself (code that reaches Redis or a server without a fixture saying so).
"""

from pathlib import Path

import pytest
import redis
from django.conf import settings

from core import keys
from core.routing import health

ROOT = Path(__file__).resolve().parent
pytest_plugins = ["tests.support.fixtures", "tests.support.cluster"]

STACK_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "live_server",
    "client",
    "admin_client",
    "celery_worker_process",
    "api_as",
    "browse",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("django_db") or STACK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.stack)


def _on_stack(request) -> bool:
    return request.node.get_closest_marker("stack") is not None


@pytest.fixture(autouse=True)
def _fresh_routing_health():
    """Each test starts with no remembered standby health (as a new process would)."""
    health.reset()
    yield
    health.reset()


_redis_emptied = []


@pytest.fixture(autouse=True)
def _fresh_redis(request):
    """The session's first stack test empties the test Redis databases; every stack test starts without
    projection summaries and kept report answers (they describe one test's data) and without throttle counts."""
    if not _on_stack(request):
        return
    if not _redis_emptied:
        for url in {settings.REDIS_URL, settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND}:
            redis.Redis.from_url(url).flushdb()
        _redis_emptied.append(True)
    client = redis.Redis.from_url(settings.REDIS_URL)
    found = [
        *client.scan_iter(f"{keys.PROJECTIONS}:*"),
        *client.scan_iter(f"{keys.REPORT_ANSWERS}:*"),
        *client.scan_iter(f"*{keys.THROTTLE}:*"),
    ]
    if found:
        client.delete(*found)


@pytest.fixture(scope="session", autouse=True)
def _fresh_worker_log():
    (ROOT / ".stack" / "log").mkdir(parents=True, exist_ok=True)
    (ROOT / ".stack" / "log" / "test-worker.log").write_text("")
