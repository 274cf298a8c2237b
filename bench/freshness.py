"""Watches how fresh the projections are while writes go on, and how far the standby trails the primary.

Every refresh records the moment its snapshot was taken (`fresh_as_of`): it contains every transaction
committed before then. A write that committed at t is therefore visible in a projection as soon as a
`fresh_as_of >= t` can be read there: in Redis (the summary's meta hash) or on the standby (the state row,
written after the views, so WAL order brings the views first).
"""

import bisect
import datetime as dt
import statistics
import threading
import time

from django.db import connections

from reports.engine import store

WATCHED = ("ar_aging", "revenue")


def _ts(value) -> float | None:
    if not value:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.timestamp()


class Observer(threading.Thread):
    def __init__(self, projections=WATCHED, every: float = 0.02):
        super().__init__(daemon=True)
        self.projections, self.every = projections, every
        self.samples: dict[tuple[str, str], list[tuple[float, float]]] = {}  # (where, name) -> [(seen, fresh)]
        self.lag_ms: list[float] = []
        self.durations: dict[str, set[int]] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        replica, primary = connections["replica"], connections["default"]
        last_lag = 0.0
        while not self._halt.is_set():
            seen = time.time()
            for name in self.projections:
                meta = store.read_meta(name)
                self._add("redis", name, seen, _ts(meta.get("fresh_as_of")))
            with replica.cursor() as cursor:
                cursor.execute("SELECT name, fresh_as_of, last_duration_ms FROM reports_projectionstate")
                for name, fresh, duration in cursor.fetchall():
                    if name in self.projections:
                        self._add("standby", name, seen, _ts(fresh))
                    self.durations.setdefault(name, set()).add(duration)
            if seen - last_lag >= 0.25:
                last_lag = seen
                with primary.cursor() as cursor:
                    cursor.execute(
                        "SELECT COALESCE(EXTRACT(epoch FROM max(replay_lag)) * 1000, 0) FROM pg_stat_replication"
                    )
                    self.lag_ms.append(float(cursor.fetchone()[0]))
            self._halt.wait(self.every)
        for alias in ("replica", "default"):
            connections[alias].close()

    def _add(self, where: str, name: str, seen: float, fresh: float | None) -> None:
        if fresh is not None:
            self.samples.setdefault((where, name), []).append((seen, fresh))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)

    def visible_after(self, where: str, name: str, committed: list[float]) -> list[float]:
        """For each commit time, seconds until a sample showed fresh_as_of >= it (unseen commits left out)."""
        samples = self.samples.get((where, name), [])
        # Running max of fresh_as_of: once a snapshot covering t was seen, t stays covered.
        times, covered, best = [], [], float("-inf")
        for seen, fresh in samples:
            best = max(best, fresh)
            times.append(seen)
            covered.append(best)
        delays = []
        for t in committed:
            index = bisect.bisect_left(covered, t)
            if index < len(times):
                delays.append(max(0.0, times[index] - t))
        return delays


def percentiles(values: list[float], scale: float = 1.0) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(v * scale for v in values)
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max": round(ordered[-1], 1),
    }
