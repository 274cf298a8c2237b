"""The primary can change under the app (Patroni fails over): notice it, and never acknowledge a write
that only one server holds.

- `DATABASE_URL` names every node with `target_session_attrs=read-write`: libpq connects to whichever is
  the primary now. When a new connection lands on another server than the last one did, the primary has
  moved: the router forgets what it knew about the standbys (one of them is the primary now, and the old
  primary may come back as a standby) and probes them again.
- Synchronous replication (Patroni's strict mode) makes a commit wait until a standby has it. When no
  standby is synchronous (both stopped, or just after a failover) such a commit would wait for as long as
  that lasts, and PostgreSQL makes the transaction visible on the primary meanwhile. So a transaction on the
  primary starts only when a synchronous standby is there: it waits up to DB_SYNC_WAIT_SECONDS for one (a
  failover or a standby restart takes seconds), then is refused: 503, nothing was saved.
- A connection lost during COMMIT leaves the outcome unknown (the commit may have reached the standby that
  was then promoted): that answer says so instead of "nothing was saved".
"""

import logging
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import OperationalError

log = logging.getLogger("hmis.routing")

SYNC_SQL = (
    "SELECT current_setting('synchronous_standby_names') = '' "
    "OR EXISTS (SELECT 1 FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum') AND state = 'streaming')"
)
NO_SYNC_MESSAGE = (
    "No standby can confirm writes right now (the database cluster is failing over or lost its standbys); "
    "nothing was saved. Try again shortly."
)
OUTCOME_UNKNOWN_MESSAGE = (
    "The database failed over while this change was being saved: it may or may not have been saved. "
    "Check before entering it again (API clients: retry with the same Idempotency-Key)."
)


class NoSynchronousStandby(OperationalError):
    public_message = NO_SYNC_MESSAGE


class CommitOutcomeUnknown(OperationalError):
    public_message = OUTCOME_UNKNOWN_MESSAGE


_lock = threading.Lock()
_primary_at: str | None = None  # host:port of the server the last new connection to the primary reached
_sync_seen_at = 0.0  # when a synchronous standby was last seen (monotonic)
_wait: ContextVar[bool] = ContextVar("hmis_sync_wait", default=True)


def connected_to(address: str) -> None:
    """A new connection to the primary reached `address`. A different server than before = a failover."""
    global _primary_at, _sync_seen_at
    with _lock:
        previous, _primary_at = _primary_at, address
        if previous is None or previous == address:
            return
        _sync_seen_at = 0.0
    from core.routing import health

    health.reset()
    log.warning("the primary moved from %s to %s: standbys are probed again", previous, address)


def _sync_standby_present(connection) -> bool:
    # On the raw connection: not a query of the unit of work (request logs, assertNumQueries).
    with connection.connection.cursor() as cursor:
        cursor.execute(SYNC_SQL)
        return bool(cursor.fetchone()[0])


def ensure_writable(connection) -> None:
    """Return once a standby confirms commits (seen within DB_SYNC_CHECK_SECONDS), else raise
    NoSynchronousStandby after waiting DB_SYNC_WAIT_SECONDS (no wait inside `no_wait()`)."""
    global _sync_seen_at
    if not settings.DB_REQUIRE_SYNC_STANDBY:
        return
    now = time.monotonic()
    if now - _sync_seen_at < settings.DB_SYNC_CHECK_SECONDS:
        return
    deadline = now + (settings.DB_SYNC_WAIT_SECONDS if _wait.get() else 0)
    while True:
        if _sync_standby_present(connection):
            _sync_seen_at = time.monotonic()
            return
        if time.monotonic() >= deadline:
            log.warning("write refused: no synchronous standby")
            raise NoSynchronousStandby(NO_SYNC_MESSAGE)
        time.sleep(0.2)


@contextmanager
def no_wait():
    """Writes that have somewhere else to go (audit events park in Redis) are refused at once."""
    token = _wait.set(False)
    try:
        yield
    finally:
        _wait.reset(token)


def forget() -> None:
    """Tests: start from nothing known."""
    global _primary_at, _sync_seen_at
    with _lock:
        _primary_at, _sync_seen_at = None, 0.0
