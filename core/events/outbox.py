"""Write outbox events in the changing transaction; enqueue the refreshes once it commits.

Nothing is lost when the broker is down: the events are committed with the change, and the beat sweep
(reports.engine.refresh.sweep) finds projections with unseen events and enqueues them later.
"""

import logging
import time

from django.db import connections, transaction

from core import batch, keys, tracing
from core.events.models import OutboxEvent

log = logging.getLogger("hmis.events")

_refresh_task: list[str] = []  # the task name the read side registered (register_refresh_task)
_live: set[str] = set()  # projections whose refreshes go to the live queue
LIVE_QUEUE = "live"  # served by a worker of its own (Procfile): a live board never waits behind a costly refresh
QUEUED_FLAG_SECONDS = 30  # a refresh is queued and not started yet: later commits need not queue another
BROKER_BACKOFF_SECONDS = 5.0

_broker_down_until = 0.0


class _Relay:
    """The on-commit callback of one transaction: the projections its changes dirtied."""

    def __init__(self):
        self.projections: set[str] = set()

    def __call__(self):
        with tracing.span("outbox.relay", **{"hmis.projections": sorted(self.projections)}):
            enqueue_refreshes(sorted(self.projections))


def register_refresh_task(name: str, live: tuple[str, ...] = ()) -> None:
    """The Celery task that refreshes one projection by name, and the projections people watch live (the
    read side registers them at start-up)."""
    _refresh_task[:] = [name]
    _live.clear()
    _live.update(live)


def record(projections: tuple[str, ...], source: str, object_id) -> None:
    """Outbox rows for one change, in the current transaction (inserted as it commits, with its other
    events: core/batch.py), and the relay after it commits."""
    if not projections:
        return
    batch.insert(
        "default", [OutboxEvent(projection=name, source=source, object_id=str(object_id)[:40]) for name in projections]
    )
    connection = connections["default"]
    relay = next((func for _, func, _ in connection.run_on_commit if isinstance(func, _Relay)), None)
    if relay is None:
        relay = _Relay()
        transaction.on_commit(relay, using="default", robust=True)
    relay.projections.update(projections)


def _queued_flag(name: str) -> str:
    return keys.projection(name, "queued")


def enqueue_refresh(name: str, delay: float = 0.0) -> bool:
    """Ask a worker to refresh `name` (after `delay` seconds). Never raises: a failure leaves the events
    for the sweep."""
    return enqueue_refreshes([name], delay)


def enqueue_refreshes(names: list[str], delay: float = 0.0) -> bool:
    """enqueue_refresh for several projections, their queued flags set in one Redis round trip."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    from celery import current_app
    from django_redis import get_redis_connection

    try:
        pipe = get_redis_connection("default").pipeline(transaction=False)
        for name in names:
            pipe.set(_queued_flag(name), "1", nx=True, ex=QUEUED_FLAG_SECONDS)
        for name, flagged in zip(names, pipe.execute(), strict=True):
            if not flagged:
                continue  # a refresh is already waiting: it will see these events too
            queue = LIVE_QUEUE if name in _live else None  # None: the default queue
            # Nobody waits for a refresh's result: without ignore_result each send also subscribes to (and
            # later leaves) its result channel, two more Redis round trips per projection (py-spy).
            current_app.send_task(
                _refresh_task[0], args=[name], countdown=delay or None, retry=False, queue=queue, ignore_result=True
            )
        return True
    except Exception as exc:  # noqa: BLE001 (broker or Redis down)
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        log.warning("refresh of %s not enqueued (%s); the sweep will pick it up", ", ".join(names), exc)
        return False


def refresh_started(name: str) -> None:
    """Called by the task as it starts: commits from now on must queue a new refresh."""
    try:
        from django_redis import get_redis_connection

        get_redis_connection("default").delete(_queued_flag(name))
    except Exception:  # noqa: BLE001, S110 (the flag expires by itself)
        pass
