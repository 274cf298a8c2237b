"""Year-long report answers kept per projection version (reports/queries/cache.py): before and after in one
run (issue 27). The revenue API (a year by month x department) and the diagnosis-trends API (a year) with
wrk at concurrency 1 and 4, gunicorn on production settings with the worker running, REPORT_ANSWER_CACHE
off and on taking turns --rounds times; each figure pools nothing: the rounds are listed, the median shown.

    .venv/bin/python bench/report_cache.py [--seconds 10] [--rounds 3]
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)

import django  # noqa: E402

django.setup()

from bench.figures import machine  # noqa: E402
from bench.load import BASE_URL, wrk  # noqa: E402
from bench.servers import Processes  # noqa: E402
from bench.setup import prepare  # noqa: E402

ENDPOINTS = ("revenue_api", "diagnoses_api")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    plan = prepare(scale=1.0)
    processes = Processes()
    processes.warm = [plan["endpoints"][name] for name in ENDPOINTS]
    found: dict = {side: {name: {} for name in ENDPOINTS} for side in ("before", "after")}
    try:
        processes.start_worker()
        for turn in range(args.rounds):
            for side, flag in (("before", "0"), ("after", "1")):
                processes.start_web(REPORT_ANSWER_CACHE=flag)
                for name in ENDPOINTS:
                    path, headers = plan["endpoints"][name]
                    for concurrency in (1, 4):
                        result = wrk(BASE_URL + path, concurrency, args.seconds, headers)
                        found[side][name].setdefault(f"c{concurrency}", []).append(result)
                        print(
                            f"  round {turn + 1} {side:<6} {name:<14} c={concurrency}"
                            f" p50 {result['p50_ms']:.1f}"
                            f" p95 {result['p95_ms']:.1f} ms, {result['requests_per_s']} req/s,"
                            f" errors {result['errors']}",
                            flush=True,
                        )
    finally:
        processes.stop()
    table = {
        side: {
            name: {
                level: {key: statistics.median(r[key] for r in runs) for key in ("p50_ms", "p95_ms", "requests_per_s")}
                for level, runs in levels.items()
            }
            for name, levels in endpoints.items()
        }
        for side, endpoints in found.items()
    }
    results = {"started": dt.datetime.now(dt.UTC).isoformat(), "machine": machine(), "medians": table, "runs": found}
    out = ROOT / "bench" / "results" / f"report-cache-{dt.datetime.now(dt.UTC):%Y-%m-%d-%H%M}.json"
    out.write_text(json.dumps(results, indent=1, default=str))
    print(json.dumps(table, indent=1))
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
