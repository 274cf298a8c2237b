"""Refreshing projections: REFRESH ... CONCURRENTLY on the primary, then the Redis summary, then freshness.

Coalescing: one refresh at a time per projection (a session advisory lock, released by PostgreSQL if the
worker dies). A task that finds the lock taken returns at once: the holder checks for new events *after*
releasing the lock and goes round again, so the refresh that follows the last write always runs.

"Dirty" is exact: each outbox event carries its transaction id and each refresh records the snapshot it
ran under; the projection is dirty when some event's transaction is not visible in that snapshot.
"""

import logging
import time

from django.conf import settings
from django.db import connections

from core import logs, metrics, tracing
from core.routing import lsn as lsn_mod
from reports import dashboard
from reports.engine import freshness, increments, store
from reports.projections import REGISTRY, get
from reports.projections.base import VIEWS, Projection

log = logging.getLogger("hmis.projections")
refresh_log = logging.getLogger("hmis.refresh")  # one JSON line per refresh (core/logs.py)

# The projection's outbox events whose transactions a refresh under %(snapshot)s did not see.
UNSEEN_EVENTS = """hmis_outboxevent
    WHERE projection = %(name)s
      AND xid >= pg_snapshot_xmin(%(snapshot)s::pg_snapshot)::text::bigint
      AND NOT pg_visible_in_snapshot(xid::text::xid8, %(snapshot)s::pg_snapshot)"""

DIRTY_SQL = f"SELECT statement_timestamp(), EXISTS (SELECT 1 FROM {UNSEEN_EVENTS})"

# More changes than this are not gone through one by one: the tables kept key by key are recomputed whole.
MAX_CHANGES = 5000
CHANGES_SQL = f"SELECT DISTINCT source, object_id FROM {UNSEEN_EVENTS} LIMIT %(limit)s"

SAVE_STATE_SQL = """
INSERT INTO reports_projectionstate
    (name, snapshot, refreshed_at, fresh_as_of, lsn, last_duration_ms, refresh_count, last_error)
VALUES (%(name)s, %(snapshot)s, %(at)s, %(at)s, %(lsn)s, %(ms)s, 1, '')
ON CONFLICT (name) DO UPDATE SET
    snapshot = EXCLUDED.snapshot, refreshed_at = EXCLUDED.refreshed_at, fresh_as_of = EXCLUDED.fresh_as_of,
    lsn = EXCLUDED.lsn, last_duration_ms = EXCLUDED.last_duration_ms,
    refresh_count = reports_projectionstate.refresh_count + 1, last_error = ''
"""


def _cursor():
    return connections["default"].cursor()


def state(cursor, name: str) -> dict:
    cursor.execute(
        "SELECT snapshot, refreshed_at, fresh_as_of, refresh_count FROM reports_projectionstate WHERE name = %s",
        [name],
    )
    row = cursor.fetchone()
    if row is None:
        return {"snapshot": "", "refreshed_at": None, "fresh_as_of": None, "refresh_count": 0}
    return dict(zip(("snapshot", "refreshed_at", "fresh_as_of", "refresh_count"), row, strict=True))


def dirty(cursor, name: str) -> tuple[bool, object]:
    """(is the projection missing committed events?, the moment that was checked)."""
    snapshot = state(cursor, name)["snapshot"]
    if not snapshot:
        cursor.execute("SELECT statement_timestamp()")
        return True, cursor.fetchone()[0]
    cursor.execute(DIRTY_SQL, {"name": name, "snapshot": snapshot})
    checked_at, is_dirty = cursor.fetchone()
    return is_dirty, checked_at


def changes_since(cursor, name: str, snapshot: str) -> list[tuple[str, str]] | None:
    """The (source, object_id) of the events `name`'s refresh under `snapshot` did not see; None when
    there is no such refresh or too many to go through one by one."""
    if not snapshot:
        return None
    cursor.execute(CHANGES_SQL, {"name": name, "snapshot": snapshot, "limit": MAX_CHANGES + 1})
    changes = cursor.fetchall()
    return None if len(changes) > MAX_CHANGES else changes


def _build_and_store(cursor, projection: Projection, *, refreshed_at, fresh_as_of) -> bool:
    parts = projection.build_summary(cursor)
    try:
        store.write(projection.name, parts, projection.meta(refreshed_at=refreshed_at, fresh_as_of=fresh_as_of))
        return True
    except Exception:
        log.warning("projection summary not written to Redis", extra={"projection": projection.name}, exc_info=True)
        return False


def _refresh_once(cursor, projection: Projection, *, full: bool) -> None:
    """One refresh: views kept as tables recompute the keys touched since the last refresh (all of them
    when `full`, reports/engine/increments.py); materialized views are refreshed whole."""
    started = time.perf_counter()
    try:
        with tracing.span("projection.refresh", **{"hmis.projection": projection.name, "hmis.full": full}):
            _refresh_steps(cursor, projection, full=full, started=started)
    except Exception:
        metrics.PROJECTION_REFRESH_FAILURES.labels(projection.name).inc()
        raise
    elapsed = time.perf_counter() - started
    metrics.PROJECTION_REFRESHES.labels(projection.name).inc()
    metrics.PROJECTION_REFRESH_SECONDS.labels(projection.name).observe(elapsed)
    refresh_log.info(logs.line("refresh", projection=projection.name, full=full, ms=round(elapsed * 1000, 1)))


def _refresh_steps(cursor, projection: Projection, *, full: bool, started: float) -> None:
    previous = "" if full else state(cursor, projection.name)["snapshot"]
    cursor.execute("SELECT pg_current_snapshot()::text, statement_timestamp()")
    snapshot, snapshot_at = cursor.fetchone()
    changes = None
    if any(view.increment for view in projection.views):
        changes = changes_since(cursor, projection.name, previous)
    for view in projection.views:
        if view.increment:
            increments.refresh(cursor, view, changes)
        else:
            cursor.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {view.name}")
    cursor.execute(
        SAVE_STATE_SQL,
        {
            "name": projection.name,
            "snapshot": snapshot,
            "at": snapshot_at,
            "lsn": lsn_mod.format_lsn(lsn_mod.primary_lsn()),
            "ms": int((time.perf_counter() - started) * 1000),
        },
    )
    _build_and_store(cursor, projection, refreshed_at=snapshot_at, fresh_as_of=snapshot_at)


def refresh(name: str, *, force: bool = False, later=None) -> dict:
    """Bring one projection up to every committed event. Safe to call any number of times, concurrently.

    Without `later` (commands, reconciliation) it waits for the lock and refreshes until clean. With
    `later(name, delay)` (the task) it gives up at once if another refresh holds the lock, and refreshes
    at most once per `min_interval(name)`: the first write after a quiet spell is refreshed at once, and a
    burst is coalesced into a trailing refresh that `later` schedules.
    """
    projection = get(name)
    lock = f"hmis.projection.{name}"
    interval = min_interval(name)
    refreshes = 0
    with _cursor() as cursor:
        while True:
            if later is None:
                cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [lock])
            else:
                cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [lock])
                if not cursor.fetchone()[0]:
                    return {"projection": name, "refreshes": refreshes, "status": "busy"}
            try:
                while force or dirty(cursor, name)[0]:
                    if later is not None and not force and _too_soon(cursor, name, interval):
                        break
                    _refresh_once(cursor, projection, full=force)
                    refreshes += 1
                    force = False
                    if later is not None:
                        break
            finally:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [lock])
            # Someone may have found the lock taken just before we released it: look once more.
            if not dirty(cursor, name)[0]:
                break
            if later is not None:
                delay = _too_soon(cursor, name, interval) or interval
                # A long wait (history views) is left to the sweep, which finds the projection dirty
                # again: a task held back for a minute sits unacknowledged in the worker, which is
                # what a broker outage must not find.
                if delay <= settings.PROJECTION_SWEEP_SECONDS:
                    later(name, delay)
                break
    if refreshes and projection.then:
        refresh(projection.then, force=True)
    if refreshes:
        rebuild_dashboard()
    return {"projection": name, "refreshes": refreshes, "status": "fresh"}


def min_interval(name: str) -> float:
    """Seconds between two refreshes of `name` started by writes: PROJECTION_MIN_INTERVALS[name] when set,
    else the projection's declared min_interval (unless PROJECTION_DECLARED_INTERVALS is off, as in tests,
    which follow every write), else PROJECTION_MIN_INTERVAL_SECONDS."""
    if name in settings.PROJECTION_MIN_INTERVALS:
        return float(settings.PROJECTION_MIN_INTERVALS[name])
    declared = get(name).min_interval if settings.PROJECTION_DECLARED_INTERVALS else None
    return float(settings.PROJECTION_MIN_INTERVAL_SECONDS if declared is None else declared)


def _too_soon(cursor, name: str, interval: float) -> float:
    """Seconds to wait before the next refresh may start (0 when it may start now)."""
    cursor.execute(
        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - refreshed_at) FROM reports_projectionstate WHERE name = %s",
        [name],
    )
    row = cursor.fetchone()
    if row is None or row[0] is None:
        return 0.0
    return max(0.0, interval - float(row[0]))


def rebuild_summary(name: str) -> bool:
    """Rebuild the Redis summary from the view as it is (Redis came back, or the calendar moved on)."""
    with _cursor() as cursor:
        current = state(cursor, name)
        return _build_and_store(
            cursor, get(name), refreshed_at=current["refreshed_at"], fresh_as_of=current["fresh_as_of"]
        )


def at_midnight() -> dict:
    """Just after midnight: what the calendar moved. Projections whose views hold the date are refreshed
    (a history view takes yesterday from its recent partner, which it refreshes `then`), in registry order;
    those whose summary alone does are rebuilt from their views, unless already refreshed."""
    results, done = {}, set()
    for projection in REGISTRY.values():
        if projection.name in done or not projection.calendar:
            continue
        if projection.calendar == VIEWS:
            results[projection.name] = refresh(projection.name, force=True)
            name = projection.name
            while name:  # with the projections it refreshed `then`
                done.add(name)
                name = get(name).then
        else:
            results[projection.name] = rebuild_summary(projection.name)
    rebuild_dashboard()
    return results


def rebuild_dashboard() -> None:
    try:
        dashboard.rebuild()
    except Exception:
        log.warning("dashboard summary not rebuilt", exc_info=True)


def sweep(enqueue) -> dict[str, str]:
    """For every projection: enqueue a refresh if it is missing events, else confirm it fresh as of now.

    Catches whatever the on-commit relay could not enqueue (broker down, worker lost), rebuilds Redis
    summaries that are missing or from another day, and keeps `fresh_as_of` moving while nothing changes.
    """
    outcome = {}
    with _cursor() as cursor:
        for name in REGISTRY:
            is_dirty, checked_at = dirty(cursor, name)
            if is_dirty:
                enqueue(name)
                outcome[name] = "queued"
                continue
            cursor.execute("UPDATE reports_projectionstate SET fresh_as_of = %s WHERE name = %s", [checked_at, name])
            try:
                meta = store.read_meta(name)
                current = state(cursor, name)
                if not freshness.built_today(meta) or meta.get("refreshed_at") != current["refreshed_at"].isoformat():
                    rebuild_summary(name)
                    outcome[name] = "summary rebuilt"
                else:
                    store.confirm_fresh(name, checked_at.isoformat())
                    outcome[name] = "fresh"
            except Exception:  # noqa: BLE001 (Redis down: the views still answer)
                outcome[name] = "fresh (Redis unavailable)"
    rebuild_dashboard()
    return outcome


def prune_outbox(*, keep_days: int = 1) -> int:
    """Delete events older than `keep_days` that every refresh has already seen."""
    with _cursor() as cursor:
        cursor.execute(
            """DELETE FROM hmis_outboxevent o USING reports_projectionstate s
               WHERE o.projection = s.name AND s.snapshot <> ''
                 AND o.created_at < now() - make_interval(days => %s)
                 AND pg_visible_in_snapshot(o.xid::text::xid8, s.snapshot::pg_snapshot)""",
            [keep_days],
        )
        return cursor.rowcount
