"""Standby health as the router sees it: up or down, replayed LSN, lag; back-off for the bad ones.

Per process, shared by its threads. A standby is probed at most every REPLICA_HEALTH_TTL_SECONDS (or at
once when a reader needs a newer LSN than the last probe showed). An unreachable standby, or one lagging
more than REPLICA_MAX_LAG_SECONDS, is skipped for REPLICA_BACKOFF_SECONDS and then probed again.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

from core import metrics
from core.routing import lsn as lsn_mod

log = logging.getLogger("hmis.routing")

PROBE_MARK = metrics.PROBE_MARK
PROBE_SQL = (
    PROBE_MARK
    + """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn()::text,
       pg_last_wal_receive_lsn()::text,
       pg_is_in_recovery() AND pg_is_wal_replay_paused(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
       END::float8
"""
)


@dataclass(frozen=True)
class StandbyStatus:
    alias: str
    up: bool
    checked_at: float
    in_recovery: bool = False
    replay_lsn: int | None = None
    receive_lsn: int | None = None
    paused: bool = False
    lag_seconds: float | None = None
    error: str | None = None


_lock = threading.Lock()
_status: dict[str, StandbyStatus] = {}
_skip_until: dict[str, float] = {}


def standby_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias != "default"]


def probe(alias: str) -> StandbyStatus:
    """Ask the standby itself where it is. Never raises: a failure is a 'down' status."""
    now = time.monotonic()
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(PROBE_SQL)
            in_recovery, replay, receive, paused, lag = cursor.fetchone()
        status = StandbyStatus(
            alias=alias,
            up=True,
            checked_at=now,
            in_recovery=in_recovery,
            replay_lsn=lsn_mod.parse(replay),
            receive_lsn=lsn_mod.parse(receive),
            paused=bool(paused),
            lag_seconds=float(lag),
        )
    except DatabaseError as exc:
        status = StandbyStatus(alias=alias, up=False, checked_at=now, error=str(exc).strip()[:200])
        # Drop the broken connection so the next probe reconnects instead of reusing it.
        try:
            connection.close()
        except DatabaseError:
            connection.connection = None
    with _lock:
        _status[alias] = status
        if not status.up or (status.lag_seconds or 0) > settings.REPLICA_MAX_LAG_SECONDS:
            _skip_until[alias] = now + settings.REPLICA_BACKOFF_SECONDS
            metrics.STANDBY_SKIPPED.labels(alias, "down" if not status.up else "lagging").inc()
            log.warning("standby skipped", extra={"alias": alias, "up": status.up, "lag": status.lag_seconds})
        else:
            _skip_until.pop(alias, None)
    return status


def usable(alias: str) -> StandbyStatus | None:
    """The standby's status if it may serve reads now, else None (down, lagging, or backing off)."""
    now = time.monotonic()
    if now < _skip_until.get(alias, 0.0):
        return None
    status = _status.get(alias)
    if status is None or now - status.checked_at > settings.REPLICA_HEALTH_TTL_SECONDS:
        status = probe(alias)
    elif connections[alias].connection is None:
        # Cached status says up, but this thread has no connection yet: connecting is the real test.
        try:
            connections[alias].ensure_connection()
        except DatabaseError:
            status = probe(alias)
    if not status.up or not status.in_recovery:
        return None
    if (status.lag_seconds or 0) > settings.REPLICA_MAX_LAG_SECONDS:
        return None
    return status


def has_replayed(alias: str, required: int) -> bool:
    """Has this standby replayed the WAL up to `required`? Re-probes once if the cached answer is no."""
    status = _status.get(alias)
    if status and status.in_recovery and status.replay_lsn is not None and status.replay_lsn >= required:
        return True
    status = probe(alias)
    # A promoted server (out of recovery) is no standby any more, whatever it replayed before.
    return status.up and status.in_recovery and status.replay_lsn is not None and status.replay_lsn >= required


def reset() -> None:
    """Forget everything (tests, and after the stack is rebuilt)."""
    with _lock:
        _status.clear()
        _skip_until.clear()
