"""`make bench`: the read side at hospital scale, measured side by side in one run.

Runs against the generated data (generating it first when it is missing) with gunicorn on production
settings and a real Celery worker. Prints a table against the goals and writes bench/results/<date>.json.

    .venv/bin/python bench/run.py [--seconds 30] [--runs 30] [--quick]
"""

import argparse
import datetime as dt
import json
import os
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

from bench import three_ways  # noqa: E402
from bench.figures import headline, machine, print_table  # noqa: E402
from bench.isolation import (  # noqa: E402
    ISOLATION_ENDPOINTS,
    isolation_and_freshness,
    isolation_split,
    isolation_without_projections,
)
from bench.load import RequestLog, read_load  # noqa: E402
from bench.servers import Processes  # noqa: E402
from bench.setup import prepare  # noqa: E402
from bench.write_path import write_path  # noqa: E402


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
