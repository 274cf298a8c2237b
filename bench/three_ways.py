"""The same report three ways, timed: a live aggregate on the primary, the views on the standby, Redis.

The reports and the code that computes each way are the app's own (reports/queries/performance.py, also
behind /api/v1/reports/performance-test/); here each way is run `runs` times after a warm-up, and the
three answers are checked to agree first.
"""

import statistics
import time

from reports.queries import performance


def _time(fn, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 3), "p95_ms": round(samples[int(0.95 * (runs - 1))], 3)}


def measure(runs: int = 30) -> dict:
    results = {}
    for report, (compute, redis_answer) in performance.WAYS.items():
        live, view, redis = compute(True, "default"), compute(False, "replica"), redis_answer()
        ways = {
            "agree": live == view == redis,
            "live_primary": _time(lambda: compute(True, "default"), runs),  # noqa: B023
            "view_standby": _time(lambda: compute(False, "replica"), runs),  # noqa: B023
            "redis": _time(redis_answer, runs),
        }
        live_ms = ways["live_primary"]["median_ms"]
        ways["view_speedup"] = round(live_ms / ways["view_standby"]["median_ms"], 1)
        ways["redis_speedup"] = round(live_ms / ways["redis"]["median_ms"], 1)
        results[report] = ways
        print(
            f"  {report:<17} live {live_ms:>9.1f} ms  view {ways['view_standby']['median_ms']:>7.2f} ms  "
            f"redis {ways['redis']['median_ms']:>6.2f} ms  agree {ways['agree']}",
            flush=True,
        )
    return results
