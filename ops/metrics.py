"""What /metrics measures at scrape time: the state of the servers and of the read side, read from where it
lives (the primary, each standby, Redis, Patroni), not from what some process happened to record.

Every part answers on its own: a part that fails is left out (and counted in hmis_collect_errors), it never
fails the scrape. Only the web's /metrics adds this collector; the worker's exporter serves what its pool
recorded.
"""

import logging
import math
import time

import redis
from django.conf import settings
from django.db import connections
from prometheus_client.core import GaugeMetricFamily

from core.audit import spool
from core.events.outbox import LIVE_QUEUE
from core.routing import health
from core.routing import lsn as lsn_mod
from ops import cluster, status

log = logging.getLogger("hmis.metrics")

# Per projection: staleness (time since it last held every committed write), and the outbox events its
# last refresh did not see (reports/engine/refresh.py's UNSEEN_EVENTS, for every projection at once).
READ_SIDE_SQL = """
SELECT s.name,
       EXTRACT(EPOCH FROM clock_timestamp() - s.fresh_as_of)::float8,
       s.refresh_count,
       s.last_duration_ms,
       count(e.id),
       COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(e.created_at)), 0)::float8
  FROM reports_projectionstate s
  LEFT JOIN hmis_outboxevent e
    ON e.projection = s.name
   AND s.snapshot <> ''
   AND e.xid >= pg_snapshot_xmin(s.snapshot::pg_snapshot)::text::bigint
   AND NOT pg_visible_in_snapshot(e.xid::text::xid8, s.snapshot::pg_snapshot)
 GROUP BY s.name, s.fresh_as_of, s.refresh_count, s.last_duration_ms
"""


def _gauge(name, documentation, labels=()):
    return GaugeMetricFamily(name, documentation, labels=list(labels))


class SystemCollector:
    def collect(self):
        started = time.perf_counter()
        errors = _gauge("hmis_collect_errors", "Parts of this scrape that could not be measured", ["part"])
        for part in (self._databases, self._read_side, self._redis_and_queues, self._worker, self._cluster):
            try:
                yield from part()
            except Exception as exc:  # noqa: BLE001 (one part down must not fail the scrape)
                log.warning("metrics: %s not measured: %s", part.__name__, exc)
                errors.add_metric([part.__name__.strip("_")], 1)
        yield errors
        took = _gauge("hmis_collect_seconds", "Time this scrape took to measure the system")
        took.add_metric([], time.perf_counter() - started)
        yield took

    def _databases(self):
        primary = status._primary()
        up = _gauge("hmis_primary_up", "The primary answers (1) or not (0)")
        up.add_metric([], 1 if primary["up"] else 0)
        yield up
        info = _gauge("hmis_db_alias_info", "Which server each database alias names", ["alias", "server"])
        for alias in connections:
            s = connections[alias].settings_dict
            info.add_metric([alias, f"{s['HOST']}:{s['PORT']}"], 1)
        yield info
        primary_lsn = lsn_mod.parse(primary.get("lsn"))
        replica_up = _gauge("hmis_replica_up", "The standby answers and is in recovery", ["alias"])
        lag_bytes = _gauge("hmis_replica_lag_bytes", "WAL the standby has not replayed yet", ["alias"])
        lag_seconds = _gauge(
            "hmis_replica_lag_seconds", "Age of the last transaction replayed, while behind", ["alias"]
        )
        paused = _gauge("hmis_replica_replay_paused", "Replay is paused on the standby", ["alias"])
        serving = _gauge("hmis_replica_serving_reads", "The router sends reads to this standby now", ["alias"])
        for alias in health.standby_aliases():
            report = status._standby(alias, primary_lsn)
            replica_up.add_metric([alias], 1 if report["up"] and report.get("in_recovery") else 0)
            if not report["up"]:
                continue
            if report["lag_bytes"] is not None:
                lag_bytes.add_metric([alias], report["lag_bytes"])
            lag_seconds.add_metric([alias], report["lag_seconds"])
            paused.add_metric([alias], 1 if report["paused"] else 0)
            serving.add_metric([alias], 1 if report["serving_reads"] else 0)
        yield from (replica_up, lag_bytes, lag_seconds, paused, serving)

    def _read_side(self):
        from reports.engine.refresh import min_interval
        from reports.projections import REGISTRY

        with connections["default"].cursor() as cursor:
            cursor.execute(READ_SIDE_SQL)
            rows = cursor.fetchall()
        stale = _gauge(
            "hmis_projection_staleness_seconds", "Time since the projection last held every write", ["projection"]
        )
        goal = _gauge(
            "hmis_projection_staleness_goal_seconds",
            "The most staleness allowed: the projection's refresh interval plus PROJECTION_MAX_STALE_SECONDS",
            ["projection"],
        )
        refreshes = _gauge("hmis_projection_refreshes_recorded", "Refreshes recorded in the database", ["projection"])
        last_ms = _gauge("hmis_projection_last_refresh_seconds", "Duration of the last refresh", ["projection"])
        backlog = _gauge(
            "hmis_outbox_backlog_events", "Outbox events the projection's last refresh did not see", ["projection"]
        )
        age = _gauge("hmis_outbox_oldest_unseen_seconds", "Age of the oldest of those events (0: none)", ["projection"])
        known = set(REGISTRY)
        for name, stale_s, count, duration_ms, unseen, oldest in rows:
            stale.add_metric([name], math.inf if stale_s is None else stale_s)
            if name in known:
                goal.add_metric([name], min_interval(name) + settings.PROJECTION_MAX_STALE_SECONDS)
            refreshes.add_metric([name], count or 0)
            if duration_ms is not None:
                last_ms.add_metric([name], duration_ms / 1000)
            backlog.add_metric([name], unseen)
            age.add_metric([name], oldest)
        yield from (stale, goal, refreshes, last_ms, backlog, age)

    def _redis_and_queues(self):
        up = _gauge("hmis_redis_up", "Redis (cache, summaries) answers")
        up.add_metric([], 1 if status._redis()["up"] else 0)
        yield up
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
        depth = _gauge("hmis_celery_queue_length", "Tasks waiting in the broker", ["queue"])
        try:
            for queue in ("celery", LIVE_QUEUE):
                depth.add_metric([queue], broker.llen(queue))
        finally:
            broker.close()
        yield depth
        waiting = _gauge("hmis_audit_spool_events", "Audit events parked in Redis while the primary was away")
        waiting.add_metric([], spool.waiting())
        yield waiting

    def _worker(self):
        beat = status._worker()
        age = _gauge("hmis_worker_heartbeat_age_seconds", "Time since a Celery worker last beat (+Inf: never)")
        age.add_metric([], math.inf if beat["age_seconds"] is None else max(0.0, beat["age_seconds"]))
        yield age
        backup = cluster.last_backup()  # cached in Redis for BACKUP_STATUS_CACHE_SECONDS
        if backup.get("known") and backup.get("age_hours") is not None:
            gauge = _gauge("hmis_backup_age_seconds", "Age of the newest successful backup")
            gauge.add_metric([], backup["age_hours"] * 3600)
            yield gauge

    def _cluster(self):
        members = cluster.members()
        up = _gauge("hmis_cluster_up", "A Patroni REST API answered")
        up.add_metric([], 1 if members["up"] else 0)
        yield up
        if not members["up"]:
            return
        role = _gauge(
            "hmis_cluster_member_role", "Each Patroni member's role (1 for the role it holds)", ["member", "role"]
        )
        timeline = _gauge(
            "hmis_cluster_timeline", "The member's timeline: it grows by one at each failover", ["member"]
        )
        for member in members["members"]:
            role.add_metric([member["name"], member["role"] or "unknown"], 1)
            if member.get("timeline") is not None:
                timeline.add_metric([member["name"]], member["timeline"])
        sync = _gauge("hmis_cluster_synchronous_standbys", "Members acknowledging commits synchronously")
        sync.add_metric([], len(members["synchronous_standby"]))
        yield from (role, timeline, sync)
