"""Isolation and freshness: how much the writes, and the refreshes they cause, slow the reports down, and
how soon a write is visible in Redis and on the standby. Measured on both cores shared, with the
projection hooks off (the control), and split (the read side on its own core, bench/topology.py)."""

import statistics
import time

from django.db import connections

from bench import freshness, topology
from bench.load import ROUNDS, RequestLog, wrk
from bench.servers import BASE_URL, PORT, Processes
from bench.writer import Writer, summarize

ISOLATION_ENDPOINTS = ("ar_aging_api", "dashboard_page")


def refresh_counts() -> dict[str, int]:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT name, refresh_count FROM reports_projectionstate")
        return dict(cursor.fetchall())


def reads_while_writing(plan, seconds: int, rate: float, log: RequestLog | None, *, port: int = PORT, cpus: str = ""):
    """The read load at concurrency 4 on each isolation endpoint while the writer writes through `port`:
    (loaded results, the writes, seconds written)."""
    # Four clients pacing themselves to `rate` together: enough to keep it when a write takes 150 ms.
    writer = Writer(port, plan["api_key"], plan["writer"], rate=rate, threads=4)
    writer.start()
    writing_since = time.monotonic()
    time.sleep(3)  # let the write rate settle
    loaded = {}
    for name in ISOLATION_ENDPOINTS:
        path, headers = plan["endpoints"][name]
        if log:
            log.mark()
        loaded[name] = wrk(BASE_URL + path, 4, seconds, headers, cpus) | (log.since_mark() if log else {})
    return loaded, writer.stop(), time.monotonic() - writing_since


def ratios(loaded: dict, idle: dict) -> dict:
    return {n: round(loaded[n]["p95_ms"] / idle[n]["p95_ms"], 2) for n in loaded}


def isolation_and_freshness(plan, seconds: int, idle: dict, log: RequestLog, rate: float) -> dict:
    observer = freshness.Observer()
    observer.start()
    before = refresh_counts()
    loaded, writes, writing_seconds = reads_while_writing(plan, seconds, rate, log)
    time.sleep(8)  # let the last refreshes land before reading freshness
    observer.stop()
    after = refresh_counts()
    ok = writes.ok()
    written = len(ok)
    commits = [op.done_at for op in ok if op.kind in ("payment", "issue", "invoice")]
    fresh = {
        f"{where}_{name}": freshness.percentiles(observer.visible_after(where, name, commits))
        for where in ("redis", "standby")
        for name in freshness.WATCHED
    }
    return {
        "write_rate": summarize(writes, writing_seconds),
        "loaded": loaded,
        "ratio_p95": ratios(loaded, {n: idle[n]["c4"] for n in loaded}),
        "freshness_s": fresh,
        "refreshes_per_1000_writes": {
            name: round((after.get(name, 0) - before.get(name, 0)) * 1000 / max(written, 1), 1) for name in after
        },
        "refresh_ms_seen": {
            name: sorted(v for v in values if v is not None)[-5:] for name, values in observer.durations.items()
        },
        "replay_lag_ms": freshness.percentiles(observer.lag_ms),
    }


def isolation_without_projections(processes: Processes, plan, seconds: int, idle: dict, rate: float) -> dict:
    """The control: the same reads and writes with the projection hooks off (no outbox, no refreshes).
    What remains of the slowdown is the writes' own share of the machine."""
    processes.start_web(PROJECTION_HOOKS="0")
    try:
        loaded, writes, writing_seconds = reads_while_writing(plan, seconds, rate, None)
    finally:
        processes.start_web()
    return {
        "write_rate": summarize(writes, writing_seconds),
        "loaded": loaded,
        "ratio_p95": ratios(loaded, {n: idle[n]["c4"] for n in loaded}),
    }


def isolation_split(plan, seconds: int, rate: float) -> dict:
    """The same measurement with the read side on one core and the write side on the other
    (bench/topology.py): a query web pool and a command web pool, as a proxy would route GET and POST.
    Idle and loaded take turns, ROUNDS times over; the figure is the median of the rounds' ratios."""
    read_cpus, write_cpus = topology.cpu_list(topology.READ_CPUS), topology.cpu_list(topology.WRITE_CPUS)
    queries = Processes(workers=3, cpus=read_cpus)
    queries.warm = [plan["endpoints"][name] for name in ISOLATION_ENDPOINTS]
    commands = Processes(workers=2, port=PORT + 1, name="web-commands", cpus=write_cpus)
    share = max(seconds // ROUNDS, 3)
    rounds = []
    try:
        with topology.split():
            commands.start_worker()
            queries.start_web()
            commands.start_web()
            for _ in range(ROUNDS):
                idle = {}
                for name in ISOLATION_ENDPOINTS:
                    path, headers = plan["endpoints"][name]
                    idle[name] = wrk(BASE_URL + path, 4, share, headers, read_cpus)
                loaded, writes, writing_seconds = reads_while_writing(
                    plan, share, rate, None, port=PORT + 1, cpus=read_cpus
                )
                rounds.append(
                    {
                        "idle": idle,
                        "loaded": loaded,
                        "write_rate": summarize(writes, writing_seconds),
                        "ratio_p95": ratios(loaded, idle),
                    }
                )
                print(f"  split round {len(rounds)}: ratio p95 {rounds[-1]['ratio_p95']}", flush=True)
    except PermissionError as exc:
        return {"skipped": f"cannot pin the database servers to CPUs ({exc}); run as root or as their user"}
    finally:
        queries.stop()
        commands.stop()
    return {
        "cpus": {"read": read_cpus, "write": write_cpus},
        "rounds": rounds,
        "ratio_p95": {
            name: round(statistics.median(r["ratio_p95"][name] for r in rounds), 2) for name in ISOLATION_ENDPOINTS
        },
    }
