"""Read events the primary could not take wait in a Redis list; a beat task moves them into the table.

A read the standby can serve must still work while the primary is down (that is the point of the
standbys), so its audit event is parked here instead of failing the request. If Redis is down too, the
event goes to the error log as a JSON line: it is never silently dropped.
"""

import logging

from django.core import serializers
from django.db import DatabaseError, connections, transaction

from core import keys
from core.audit.models import AuditEvent
from core.routing import failover

log = logging.getLogger("hmis.audit")

KEY = keys.AUDIT_SPOOL
BATCH = 500


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def park(events: list[AuditEvent]) -> None:
    payload = [serializers.serialize("json", [e]) for e in events]
    try:
        _redis().rpush(KEY, *payload)
    except Exception:  # noqa: BLE001 (Redis down as well: the log is the last place left)
        for line in payload:
            log.error("audit event not stored: %s", line)


def write(events: list[AuditEvent]) -> None:
    """Insert on the primary (explicit alias: the router is not involved); park them if it is down."""
    if not events:
        return
    try:
        # no synchronous standby: park at once rather than make the reader wait
        with failover.no_wait(), transaction.atomic(using="default"):
            with connections["default"].cursor() as cursor:
                # A read's events are durable on the primary's disk, without waiting for the standby's
                # acknowledgement (docs/decisions/0013-read-audit-commits-locally.md): every chart or
                # board read would otherwise wait a replication round trip after its answer was ready.
                cursor.execute("SET LOCAL synchronous_commit TO local")
            AuditEvent.objects.using("default").bulk_create(events)
    except DatabaseError as exc:
        log.warning("audit events parked in Redis (%s)", str(exc).strip()[:200])
        park(events)


def drain() -> int:
    """Move parked events into the table, oldest first. Returns how many moved."""
    client = _redis()
    if not client.set(f"{KEY}:lock", "1", nx=True, ex=60):
        return 0
    moved = 0
    try:
        while batch := client.lrange(KEY, 0, BATCH - 1):
            events = [next(serializers.deserialize("json", raw)).object for raw in batch]
            AuditEvent.objects.using("default").bulk_create(events)  # raises while the primary is down
            client.ltrim(KEY, len(batch), -1)
            moved += len(batch)
    finally:
        client.delete(f"{KEY}:lock")
    return moved


def waiting() -> int:
    try:
        return int(_redis().llen(KEY))
    except Exception:  # noqa: BLE001
        return 0
