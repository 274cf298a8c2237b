"""The database cluster as operators need to see it: Patroni's members and roles, the synchronous
standby, the WAL archive, and the last successful backup. Feeds /healthz and `replication_status`."""

import datetime
import json
import logging
import subprocess
import urllib.request

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

from core import keys

log = logging.getLogger("hmis.ops")

BACKUP_STATUS_KEY = keys.BACKUP_STATUS


def members() -> dict:
    """Patroni's view (the first node whose REST API answers): every member with role, state, lag."""
    for url in settings.PATRONI_URLS:
        try:
            with urllib.request.urlopen(f"{url}/cluster", timeout=1) as response:  # noqa: S310 (configured URLs)
                body = json.load(response)
        except (OSError, ValueError):
            continue
        nodes = [
            {
                "name": m["name"],
                "role": "primary" if m.get("role") in ("leader", "master") else m.get("role"),
                "state": m.get("state"),
                "host": f"{m.get('host')}:{m.get('port')}",
                "timeline": m.get("timeline"),
                "lag_bytes": m.get("lag") if isinstance(m.get("lag"), int) else None,
            }
            for m in body.get("members", [])
        ]
        return {
            "up": True,
            "members": nodes,
            "primary": next((m["name"] for m in nodes if m["role"] == "primary"), None),
            "synchronous_standby": [m["name"] for m in nodes if m["role"] == "sync_standby"],
            "paused": bool(body.get("pause")),
        }
    return {"up": False, "error": "no Patroni REST API answered", "members": []}


def archive() -> dict:
    """The primary's WAL archiver: what it archived last, and whether it is failing now."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal,"
                " last_failed_time, current_setting('archive_mode') FROM pg_stat_archiver"
            )
            count, last, last_at, failed, failed_wal, failed_at, mode = cursor.fetchone()
    except DatabaseError as exc:
        return {"up": False, "error": str(exc).strip()[:200]}
    failing = failed_at is not None and (last_at is None or failed_at > last_at)
    return {
        "up": True,
        "mode": mode,
        "archived": count,
        "last_archived_wal": last,
        "last_archived_at": last_at.isoformat() if last_at else None,
        "failed": failed,
        "last_failed_wal": failed_wal,
        "failing": failing,
    }


def _backup_info() -> list:
    done = subprocess.run(  # noqa: S603 (a configured command, no shell)
        settings.BACKUP_INFO_COMMAND, capture_output=True, text=True, timeout=30, check=True
    )
    return json.loads(done.stdout)


def last_backup() -> dict:
    """The newest successful backup (pgBackRest's repository), cached BACKUP_STATUS_CACHE_SECONDS."""
    try:
        cached = cache.get(BACKUP_STATUS_KEY)
    except Exception:  # noqa: BLE001 (Redis down: ask the repository)
        cached = None
    if cached is not None:
        return cached
    try:
        backups = sorted(
            (b for stanza in _backup_info() for b in stanza.get("backup", [])), key=lambda b: b["timestamp"]["stop"]
        )
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return {"known": False, "error": str(exc).strip()[:200]}
    if not backups:
        report = {"known": True, "last": None}
    else:
        newest = backups[-1]
        ended = datetime.datetime.fromtimestamp(newest["timestamp"]["stop"], datetime.UTC)
        report = {
            "known": True,
            "last": newest["label"],
            "type": newest["type"],
            "ended_at": ended.isoformat(),
            "age_hours": round((datetime.datetime.now(datetime.UTC) - ended).total_seconds() / 3600, 1),
            "database_bytes": newest.get("info", {}).get("size"),
            "count": len(backups),
        }
    try:
        cache.set(BACKUP_STATUS_KEY, report, timeout=settings.BACKUP_STATUS_CACHE_SECONDS)
    except Exception:  # noqa: BLE001
        log.debug("backup status not cached (Redis down)")
    return report


def run_backup(kind: str) -> str:
    """A pgBackRest backup of the current primary through BACKUP_COMMAND; returns its last output line.
    An empty BACKUP_COMMAND means the database nodes take their own (the containers)."""
    if kind not in ("full", "incr", "diff"):
        raise ValueError(f"backup kind is full, incr or diff, not {kind!r}")
    if not settings.BACKUP_COMMAND:
        return "BACKUP_COMMAND is empty: the database nodes take the backups"
    done = subprocess.run(  # noqa: S603 (a configured command, no shell)
        [*settings.BACKUP_COMMAND, kind], capture_output=True, text=True, timeout=6 * 3600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"backup failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-500:]}")
    cache.delete(BACKUP_STATUS_KEY)
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
