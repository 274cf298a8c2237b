"""`make bench`: the read side at hospital scale, measured side by side in one run.

Runs against the generated data (generating it first when it is missing) with gunicorn on production
settings and a real Celery worker. Prints a table against the goals and writes bench/results/<date>.json.

    .venv/bin/python bench/run.py [--seconds 30] [--runs 30] [--quick]
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)

import django  # noqa: E402

django.setup()

from bench import freshness, three_ways, topology  # noqa: E402
from bench.servers import BASE_URL, LOG_DIR, PORT, Processes  # noqa: E402
from bench.setup import prepare  # noqa: E402
from bench.writer import Writer, Writes, summarize  # noqa: E402

GOALS = {
    "ar_aging_api_p95_c4_ms": ("AR aging API p95, concurrency 4, warm", "<=", 10),
    "dashboard_page_p95_c4_ms": ("dashboard page p95, concurrency 4", "<=", 25),
    "min_projection_speedup": ("projection vs live aggregate (slowest of the 3 reports)", ">=", 100),
    "report_p95_loaded_over_idle": ("report p95 under write load / idle, read side on its own core", "<=", 1.3),
    "write_hook_overhead_percent": ("write-path overhead of the projection hooks (p95)", "<=", 15),
    "redis_visible_p95_s": ("commit -> visible in Redis, p95 (s)", "<=", 1),
    "standby_view_visible_p95_s": ("commit -> visible in the views on the standby, p95 (s)", "<=", 5),
    "primary_queries_during_report_load": ("primary queries of read-only requests during report load", "<=", 0),
}

REFERENCE = {
    "report_p95_loaded_over_idle_shared_cores": "report p95 under write load / idle, everything on both cores",
    "report_p95_loaded_over_idle_shared_cores_no_projections": "the same, projection hooks off (the writes alone)",
}


def wrk(url: str, concurrency: int, seconds: int, headers: dict[str, str], cpus: str = "") -> dict:
    argv = [
        *(["taskset", "-c", cpus] if cpus else []),
        "wrk",
        "-t",
        str(min(concurrency, 2)),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "report.lua"),
    ]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    output = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    found = re.search(r"JSON(\{.*\})", output)
    if not found:
        raise RuntimeError(f"wrk gave no summary:\n{output}")
    data = json.loads(found.group(1))
    return {
        "requests_per_s": round(data["requests"] / data["seconds"], 1),
        "p50_ms": data["p50"] / 1000,
        "p95_ms": data["p95"] / 1000,
        "p99_ms": data["p99"] / 1000,
        "errors": data["errors"],
        "non_2xx": data["non_2xx"],
    }


class RequestLog:
    """Reads the web server's one-line-per-request JSON log: which database each request's queries hit."""

    def __init__(self):
        self.path = LOG_DIR / "web.log"
        self.offset = 0

    def _size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def mark(self) -> None:
        self.offset = self._size()

    def settle(self, quiet: float = 0.5, limit: float = 15.0) -> None:
        """Wait until the web workers have answered what the last run left queued (wrk stops with requests
        still in the listen backlog: after the slow year reports, seconds of them), so that the next run
        does not share the machine with them."""
        deadline = time.monotonic() + limit
        size = self._size()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            if (now := self._size()) == size:
                return
            size = now

    def since_mark(self) -> dict:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            lines = f.read().decode(errors="replace").splitlines()
        requests = primary = writes = 0
        for line in lines:
            start = line.find('{"event":"request"')
            if start < 0:
                continue
            record = json.loads(line[start:])
            requests += 1
            if record.get("wrote"):
                # A write belongs on the primary, with the reads that follow it in that request (the
                # dashboard page rewrites its session's idle stamp every 5 minutes).
                writes += 1
            else:
                primary += int(record["queries"].get("default", 0))
        return {"logged_requests": requests, "primary_queries": primary, "requests_that_wrote": writes}


def read_load(plan, seconds: int, levels: tuple[int, ...], log: RequestLog) -> dict:
    results = {}
    for name, (path, headers) in plan["endpoints"].items():
        results[name] = {}
        for concurrency in levels:
            log.settle()
            log.mark()
            result = wrk(BASE_URL + path, concurrency, seconds, headers)
            result.update(log.since_mark())
            results[name][f"c{concurrency}"] = result
            print(
                f"  {name:<18} c={concurrency:<3} {result['requests_per_s']:>8} req/s  p50 {result['p50_ms']:.1f}"
                f"  p95 {result['p95_ms']:.1f}  p99 {result['p99_ms']:.1f} ms  errors {result['errors']}"
                f"  primary queries {result['primary_queries']} (requests that wrote {result['requests_that_wrote']})",
                flush=True,
            )
    return results


def refresh_counts() -> dict[str, int]:
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT name, refresh_count FROM reports_projectionstate")
        return dict(cursor.fetchall())


ISOLATION_ENDPOINTS = ("ar_aging_api", "dashboard_page")
# A/B measurements (idle / loaded, hooks off / on) take turns this many times over their seconds.
ROUNDS = 3


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


def write_path(processes: Processes, plan, seconds: int) -> dict:
    """Writes as fast as 4 clients go: hooks off; hooks on with the worker stopped (what the hooks add to
    the write itself: outbox rows and the enqueue); hooks on with the worker refreshing (the whole cost on
    this machine, where the refreshes share its two cores with the writes). The three take turns, ROUNDS
    times over, and each figure pools its rounds: this VM's speed drifts over minutes (its neighbours), and
    turns spread the drift over all three instead of loading it on whichever ran last."""
    runs = (("hooks_off", "0", False), ("hooks_on", "1", False), ("hooks_on_worker_running", "1", True))
    pooled = {label: Writes() for label, _, _ in runs}
    spent = dict.fromkeys(pooled, 0.0)
    for turn in range(ROUNDS):
        for label, hooks, worker in runs:
            processes.start_web(PROJECTION_HOOKS=hooks)
            if not worker:
                processes.stop_worker()
            else:
                processes.start_worker()
            writer = Writer(PORT, plan["api_key"], plan["writer"], rate=None, threads=4, dispense=False)
            started = time.monotonic()
            writer.start()
            time.sleep(max(seconds / ROUNDS, 3))
            ops = writer.stop().ops
            spent[label] += time.monotonic() - started
            pooled[label].ops += ops
            p95 = summarize(Writes(ops), 1).get("p95_ms")
            print(f"  write path round {turn + 1} {label}: p95 {p95} ms", flush=True)
    processes.start_web()  # hooks on again; the worker is running (the last turn's)
    results = {label: summarize(pooled[label], spent[label]) for label in pooled}
    off = results["hooks_off"]
    results["overhead_percent"] = {
        label: {
            "p95": round((results[label]["p95_ms"] / off["p95_ms"] - 1) * 100, 1),
            "throughput": round((1 - results[label]["per_second"] / off["per_second"]) * 100, 1),
        }
        for label in ("hooks_on", "hooks_on_worker_running")
    }
    return results


def machine() -> dict:
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": pg,
    }


def headline(results: dict) -> dict:
    three = results["three_ways"]
    idle = results["read_load"]
    iso = results["isolation"]
    return {
        "ar_aging_api_p95_c4_ms": idle["ar_aging_api"]["c4"]["p95_ms"],
        "dashboard_page_p95_c4_ms": idle["dashboard_page"]["c4"]["p95_ms"],
        "min_projection_speedup": min(min(r["view_speedup"], r["redis_speedup"]) for r in three.values()),
        # The goal figure: the read side on its own core (bench/topology.py); on one shared box when the
        # servers could not be pinned. The shared-core figures are printed for reference.
        "report_p95_loaded_over_idle": max(iso["split"].get("ratio_p95", iso["ratio_p95"]).values()),
        "report_p95_loaded_over_idle_shared_cores": max(iso["ratio_p95"].values()),
        "report_p95_loaded_over_idle_shared_cores_no_projections": max(
            iso["without_projections"]["ratio_p95"].values()
        ),
        "write_hook_overhead_percent": results["write_path"]["overhead_percent"]["hooks_on"]["p95"],
        "redis_visible_p95_s": max(
            iso["freshness_s"][f"redis_{n}"].get("p95", float("inf")) for n in freshness.WATCHED
        ),
        "standby_view_visible_p95_s": max(
            iso["freshness_s"][f"standby_{n}"].get("p95", float("inf")) for n in freshness.WATCHED
        ),
        "primary_queries_during_report_load": sum(
            level["primary_queries"] for endpoint in idle.values() for level in endpoint.values()
        ),
    }


def print_table(figures: dict) -> None:
    print("\n| figure | goal | measured | |\n|---|---|---|---|")
    for key, (label, op, goal) in GOALS.items():
        value = figures[key]
        met = value <= goal if op == "<=" else value >= goal
        print(f"| {label} | {op} {goal} | {value} | {'met' if met else 'MISSED'} |")
    for key, label in REFERENCE.items():
        print(f"| {label} | (reference) | {figures[key]} | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30, help="length of each load run")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per way in the three-ways comparison")
    parser.add_argument("--rate", type=float, default=20.0, help="writes per second during isolation/freshness")
    parser.add_argument("--scale", type=float, default=1.0, help="generate_data scale when data is missing")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 s loads, 3 runs, concurrency 1 and 4")
    parser.add_argument(
        "--isolation-only",
        action="store_true",
        help="only the idle read load at concurrency 4 and the isolation/freshness run (for profiling)",
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.runs = 3, 3
    levels = (1, 4) if args.quick else (1, 4, 16)
    started = time.time()
    plan = prepare(scale=args.scale)
    processes = Processes()
    processes.warm = list(plan["endpoints"].values())
    results: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(),
        "machine": machine(),
        "data": plan["data"],
        "settings": {"seconds": args.seconds, "runs": args.runs, "rate": args.rate},
    }
    try:
        processes.start_worker()
        processes.start_web()
        if args.isolation_only:
            log = RequestLog()
            loaded_only = {n: plan["endpoints"][n] for n in ISOLATION_ENDPOINTS}
            idle = read_load(plan | {"endpoints": loaded_only}, args.seconds, (4,), log)
            isolation = isolation_and_freshness(plan, args.seconds, idle, log, args.rate)
            isolation["without_projections"] = isolation_without_projections(
                processes, plan, args.seconds, idle, args.rate
            )
            processes.stop()
            isolation["split"] = isolation_split(plan, args.seconds, args.rate)
            print(json.dumps(isolation, indent=1, default=str), flush=True)
            return
        print("1. three ways to the same report", flush=True)
        results["three_ways"] = three_ways.measure(args.runs)
        print(json.dumps(results["three_ways"], indent=1), flush=True)
        print("2. read load", flush=True)
        log = RequestLog()
        results["read_load"] = read_load(plan, args.seconds, levels, log)
        print("3-5. isolation and freshness under writes", flush=True)
        results["isolation"] = isolation = isolation_and_freshness(
            plan, args.seconds, results["read_load"], log, args.rate
        )
        isolation["without_projections"] = isolation_without_projections(
            processes, plan, args.seconds, results["read_load"], args.rate
        )
        print(json.dumps(isolation, indent=1, default=str), flush=True)
        print("4. write path, projection hooks on and off", flush=True)
        results["write_path"] = write_path(processes, plan, args.seconds)
        results["memory_peak_rss_mib"] = processes.peak_rss_mb()
        processes.stop()
        print("3b. isolation with the read side on its own core", flush=True)
        isolation["split"] = isolation_split(plan, args.seconds, args.rate)
        print(json.dumps(isolation["split"], indent=1, default=str), flush=True)
    finally:
        processes.stop()
    results["figures"] = figures = headline(results)
    results["seconds"] = round(time.time() - started)
    out = (
        ROOT
        / "bench"
        / "results"
        / f"{dt.datetime.now(dt.UTC).date().isoformat()}{'-quick' if args.quick else ''}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print_table(figures)
    print(f"\nmemory (peak RSS, MiB): {results['memory_peak_rss_mib']}")
    print(f"written {out.relative_to(ROOT)} ({results['seconds']} s)")


if __name__ == "__main__":
    main()
