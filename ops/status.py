"""The state of every server the system depends on; feeds /healthz and `manage.py replication_status`."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.routing import health
from core.routing import lsn as lsn_mod
from ops import cluster


def _primary() -> dict:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text, pg_is_in_recovery(), version()")
            lsn, in_recovery, version = cursor.fetchone()
        return {"up": True, "lsn": lsn, "in_recovery": in_recovery, "version": version.split(" on ")[0]}
    except DatabaseError as exc:
        return {"up": False, "error": str(exc).strip()[:200]}


def _standby(alias: str, primary_lsn: int | None) -> dict:
    status = health.probe(alias)
    if not status.up:
        return {"up": False, "error": status.error}
    lag_bytes = None
    if primary_lsn is not None and status.replay_lsn is not None:
        lag_bytes = max(0, primary_lsn - status.replay_lsn)
    return {
        "up": True,
        "in_recovery": status.in_recovery,
        "replay_lsn": lsn_mod.format_lsn(status.replay_lsn) if status.replay_lsn is not None else None,
        "paused": status.paused,
        "lag_bytes": lag_bytes,
        "lag_seconds": round(status.lag_seconds or 0.0, 3),
        "serving_reads": health.usable(alias) is not None,
    }


def _redis() -> dict:
    try:
        cache.client.get_client(write=True).ping()
        return {"up": True}
    except Exception as exc:  # noqa: BLE001 (any client failure means "down")
        return {"up": False, "error": str(exc)[:200]}


def _broker() -> dict:
    from celery import current_app

    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=1)
        return {"up": True}
    except Exception as exc:  # noqa: BLE001
        return {"up": False, "error": str(exc)[:200]}


def _worker() -> dict:
    try:
        beat = cache.get(settings.WORKER_HEARTBEAT_KEY)
    except Exception:  # noqa: BLE001 (Redis down: reported under "redis")
        beat = None
    if not beat:
        return {"last_heartbeat": None, "age_seconds": None}
    at = parse_datetime(beat)
    return {"last_heartbeat": beat, "age_seconds": round((timezone.now() - at).total_seconds(), 1)}


def _projections() -> dict:
    """Freshness of each projection, and the last reconciliation's verdict (read where reads go)."""
    from reports.engine.freshness import stale_seconds
    from reports.engine.reconcile import latest_runs
    from reports.models import ProjectionState

    try:
        states = {
            s.name: {
                "refreshed_at": s.refreshed_at.isoformat() if s.refreshed_at else None,
                "stale_seconds": stale_seconds(s.fresh_as_of),
                "refreshes": s.refresh_count,
                "last_refresh_ms": s.last_duration_ms,
            }
            for s in ProjectionState.objects.all()
        }
        for name, run in latest_runs().items():
            keep = ("at", "drift", "repaired", "differences")
            states.setdefault(name, {})["reconciliation"] = {k: run[k] for k in keep if k in run}
        return states
    except DatabaseError as exc:
        return {"error": str(exc).strip()[:200]}


def system_status() -> dict:
    started = time.perf_counter()
    primary = _primary()
    primary_lsn = lsn_mod.parse(primary.get("lsn"))
    standbys = {alias: _standby(alias, primary_lsn) for alias in health.standby_aliases()}
    report = {
        "primary": primary,
        "standbys": standbys,
        "redis": _redis(),
        "broker": _broker(),
        "worker": _worker(),
        "projections": _projections(),
        "cluster": cluster.members(),
        "archive": cluster.archive(),
        "backup": cluster.last_backup(),
    }
    # A listed node that is the primary now (after a failover) is no missing standby.
    reachable = [s["up"] for alias, s in standbys.items() if s.get("in_recovery", True)]
    members, archiving = report["cluster"], report["archive"]
    writes_confirmed = bool(members.get("synchronous_standby")) or not members["up"]  # no Patroni: not ours to say
    healthy = primary["up"] and all(reachable) and report["redis"]["up"] and members["up"] and writes_confirmed
    healthy = healthy and not archiving.get("failing")
    report["status"] = "down" if not primary["up"] else ("ok" if healthy else "degraded")
    report["checked_in_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return report


_migrated: list[bool] = []  # once every migration is applied it stays so until the next deploy (a restart)


def _migrations_applied() -> bool:
    if _migrated:
        return True
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return False
    _migrated.append(True)
    return True


def readiness() -> dict:
    """The load balancer's question, cheap enough to ask every few seconds: no standby, Redis or Patroni."""
    from core import lifecycle

    checks = {}
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT NOT pg_is_in_recovery()")
            writable = cursor.fetchone()[0]
        checks["primary"] = {"ok": bool(writable)}
    except DatabaseError as exc:
        checks["primary"] = {"ok": False, "error": str(exc).strip()[:200]}
    try:
        checks["migrations"] = {"ok": _migrations_applied()}
    except DatabaseError as exc:
        checks["migrations"] = {"ok": False, "error": str(exc).strip()[:200]}
    checks["accepting"] = {"ok": not lifecycle.shutting_down()}
    return checks
