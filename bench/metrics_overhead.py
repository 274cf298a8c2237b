"""What observability costs (issue 26, "Performance"): report p95 with metrics off, metrics on (scraped every
15 s, as Prometheus would), and metrics plus tracing at 10 % sampling (OTLP over HTTP to a local sink that
accepts and drops), same run, same data, gunicorn on production settings. Goals: metrics <= 5 %, tracing
<= 10 % over metrics off. The configurations take turns (ROUNDS), in another order each round, so that
drift and the slower second run of a pair on a busy machine hit them alike.

    .venv/bin/python bench/metrics_overhead.py [--seconds 20] [--concurrency 4] [--scale 1.0] [--micro]

--micro measures only what the metrics add per statement and per request, in this process (no server, no
load: the figure that stays readable on a busy machine, where p95 under load is mostly noise).
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)
if "--micro" in sys.argv:  # multiprocess mode, as served: prometheus_client reads this once, at import
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="hmis-bench-metrics-"))

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


def micro(n: int = 200_000) -> dict:
    """Microseconds the metrics add per statement (the execute wrapper) and per request (the HTTP families),
    multiprocess mode, against the same code with METRICS_ENABLED off (which still counts for the logs)."""
    from django.test import override_settings

    from core import metrics

    def noop(sql, params, many, context):
        return None

    figures = {}
    for enabled in (False, True):
        with override_settings(METRICS_ENABLED=enabled):
            timed = metrics._timed("replica")
            started = time.perf_counter()
            for _ in range(n):
                timed(noop, "SELECT 1", None, False, None)
            statement = (time.perf_counter() - started) / n * 1e6
            started = time.perf_counter()
            for _ in range(n):
                metrics.observe_request("report-ar-aging", "GET", 200, 0.004)
            request = (time.perf_counter() - started) / n * 1e6
        figures["on" if enabled else "off"] = {"statement_us": round(statement, 2), "request_us": round(request, 2)}
    figures["added_per_statement_us"] = round(figures["on"]["statement_us"] - figures["off"]["statement_us"], 2)
    figures["added_per_request_us"] = round(figures["on"]["request_us"] - figures["off"]["request_us"], 2)
    return figures


def micro_tracing(n: int = 10_000, statements: int = 3) -> dict:
    """Microseconds tracing adds to a request like the AR aging API's (a server span and `statements`
    database spans with their attributes), sampled at 10 % (parent-based), exported over OTLP/HTTP by the
    batch processor to a local sink, the export's serialisation included (flushed inside the timing). The
    SDK's cost only: the instrumentations' own wrapping (Django middleware, psycopg's proxy) is not in it."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    from opentelemetry.trace import SpanKind

    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)))
    endpoint = f"http://127.0.0.1:{sink.server_address[1]}/v1/traces"
    # A queue that holds the whole run: none of the export's cost is dropped with a span.
    processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint), max_queue_size=n * (statements + 1))
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("bench")
    attributes = {
        "db.system": "postgresql",
        "server.address": "127.0.0.1",
        "server.port": 5432,
        "hmis.db.alias": "replica",
    }
    started = time.perf_counter()
    for _ in range(n):
        with tracer.start_as_current_span("GET report-ar-aging", kind=SpanKind.SERVER) as span:
            span.set_attribute("http.route", "api/v1/reports/ar-aging/")
            for _ in range(statements):
                with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes=attributes):
                    pass
    provider.force_flush()
    per_request = (time.perf_counter() - started) / n * 1e6
    provider.shutdown()
    sink.shutdown()
    return {"sampled": 0.1, "statements_per_request": statements, "added_per_request_us": round(per_request, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20, help="length of each load run")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--scale", type=float, default=1.0, help="generate_data scale when data is missing")
    parser.add_argument("--micro", action="store_true", help="only the per-statement and per-request cost")
    args = parser.parse_args()
    if args.micro:
        print(json.dumps({"metrics": micro(), "tracing": micro_tracing()}, indent=2))
        return

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
            # Each round in another order: a run measured second or third is slower on a busy machine.
            names = list(configs)
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                env = configs[name]
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
