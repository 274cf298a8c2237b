"""What observability costs (issue 26, "Performance"): report p95 with metrics off, metrics on (scraped every
15 s, as Prometheus would), and metrics plus tracing at 10 % sampling (OTLP over HTTP to a local sink that
accepts and drops), same run, same data, gunicorn on production settings. Goals: metrics <= 5 %, tracing
<= 10 % over metrics off. The configurations take turns (ROUNDS) so that drift hits them alike.

    .venv/bin/python bench/metrics_overhead.py [--seconds 20] [--concurrency 4] [--scale 1.0]
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)

import django  # noqa: E402

django.setup()

from bench.load import wrk  # noqa: E402
from bench.servers import BASE_URL, PROXY_HEADERS, Processes  # noqa: E402
from bench.setup import prepare  # noqa: E402

ROUNDS = 3
REPORT = "/api/v1/reports/ar-aging/?group_by=payer"


class _Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that accepts every export and keeps nothing."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, format, *args):
        pass


def _scraper(stop: threading.Event) -> None:
    while not stop.wait(15):
        try:
            with urllib.request.urlopen(f"{BASE_URL}/metrics", timeout=10) as response:  # noqa: S310 (local)
                response.read()
        except OSError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20, help="length of each load run")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--scale", type=float, default=1.0, help="generate_data scale when data is missing")
    args = parser.parse_args()

    plan = prepare(scale=args.scale)
    headers = {"Authorization": f"Api-Key {plan['api_key']}", "Accept": "application/json", **PROXY_HEADERS}
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    metrics_dir = tempfile.mkdtemp(prefix="hmis-bench-metrics-")
    configs = {
        "metrics off": {"METRICS_ENABLED": "0"},
        "metrics on": {"METRICS_ENABLED": "1", "PROMETHEUS_MULTIPROC_DIR": metrics_dir},
        "metrics + tracing 10%": {
            "METRICS_ENABLED": "1",
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        },
    }
    processes = Processes(workers=args.workers)
    processes.warm = [(REPORT, headers)]
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    try:
        for round_ in range(ROUNDS):
            for name, env in configs.items():
                processes.start_web(**env)
                stop = threading.Event()
                if name != "metrics off":
                    threading.Thread(target=_scraper, args=(stop,), daemon=True).start()
                result = wrk(BASE_URL + REPORT, args.concurrency, args.seconds, headers)
                stop.set()
                runs[name].append(result)
                print(
                    f"round {round_ + 1} {name:<22} {result['requests_per_s']:>8} req/s  p50 {result['p50_ms']:.2f}"
                    f"  p95 {result['p95_ms']:.2f} ms  errors {result['errors']} non-2xx {result['non_2xx']}",
                    flush=True,
                )
    finally:
        processes.stop_web()
        sink.shutdown()
    summary = {
        name: {
            "p95_ms": round(statistics.median(r["p95_ms"] for r in results), 2),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in results), 2),
            "requests_per_s": round(statistics.median(r["requests_per_s"] for r in results), 1),
        }
        for name, results in runs.items()
    }
    base = summary["metrics off"]["p95_ms"]
    for name, figures in summary.items():
        figures["p95_overhead_pct"] = round((figures["p95_ms"] / base - 1) * 100, 1) if base else None
        print(f"{name:<22} p95 {figures['p95_ms']:.2f} ms ({figures['p95_overhead_pct']:+.1f} %)", flush=True)
    out = ROOT / "bench" / "results" / f"{dt.datetime.now(dt.UTC).date().isoformat()}-metrics-overhead.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "data": plan["data"], "runs": runs, "summary": summary}, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
