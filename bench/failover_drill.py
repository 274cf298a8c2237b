"""`make failover-drill`: failovers under write load, measured (BENCHMARKS.md "Failover").

gunicorn (production settings, 4 workers) and a Celery worker run against the local Patroni cluster;
8 API clients write at full speed (invoice, issue, payment, dispense: tests/support/workload.py) and a
reader reads from the standbys. Each drill kills the primary's host (kill -9 of its Patroni and postmaster),
measures, then brings that node back (it rejoins as a standby). RTO is the time from the kill to the first
2xx answer to a write *sent* after the kill (an answer arriving after it may belong to a commit made
before). Then write latency with synchronous vs asynchronous replication, alternating, in the same run.
With --restore, a point-in-time restore of the database as it is (the 1M-invoice data set after
`manage.py generate_data`), timed.

    .venv/bin/python bench/failover_drill.py [--drills 20] [--latency-seconds 15] [--restore]
    (--drills 0 --latency-seconds 0 --restore: the restore alone)
"""

import argparse
import io
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "drill-" + "x" * 50)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from bench.servers import BASE_URL, PORT, PROXY_HEADERS, Processes  # noqa: E402
from billing.models import Invoice, Payment  # noqa: E402
from ops import cluster  # noqa: E402
from pharmacy.models import Dispense  # noqa: E402
from tests.support.workload import REFUSED, UNKNOWN, Log, make_plan, run_writers  # noqa: E402

STACK = ROOT / "stack" / "stack.sh"
WRITERS = 8


def stack(*args: str) -> str:
    return subprocess.run([str(STACK), *args], check=True, capture_output=True, text=True).stdout  # noqa: S603


class Http:
    """One integrator: its own API key and HTTP session."""

    def __init__(self, key: str):
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Api-Key {key}", **PROXY_HEADERS})

    def _answer(self, call):
        try:
            response = call()
        except requests.RequestException:
            return 599, None, False  # no answer at all (counted as a failed request, never a 2xx)
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body, response.headers.get("Idempotent-Replayed") == "true"

    def post(self, path: str, body: dict, key: str):
        headers = {"Idempotency-Key": key}
        return self._answer(lambda: self.session.post(BASE_URL + path, json=body, headers=headers, timeout=60))

    def get(self, path: str):
        return self._answer(lambda: self.session.get(BASE_URL + path, timeout=60))


def api_key(name: str, *roles: str) -> str:
    out = io.StringIO()
    call_command("create_api_client", f"{name}-{time.monotonic_ns()}", roles=list(roles), stdout=out)
    return out.getvalue().strip().splitlines()[-1].split("Api-Key ")[1]


def reader_loop(client: Http, stop: threading.Event, result: dict) -> None:
    while not stop.is_set():
        status, _, _ = client.get("/api/v1/patients/?page_size=5")
        result["answers"] += 1
        result["failed"] += status != 200
        time.sleep(0.02)


def lost_writes(log: Log) -> int:
    """Acknowledged (2xx) writes that the cluster does not have now."""
    connections.close_all()
    missing = 0
    for kind, model in (("invoice", Invoice), ("payment", Payment), ("dispense", Dispense)):
        ids = {o.object_id for o in log.ok(kind)}
        missing += len(ids) - model.objects.using("default").filter(pk__in=ids).count()
    return missing


def drill(number: int, clients: list[Http], reader: Http) -> dict:
    plan = make_plan(WRITERS, prescriptions_each=30)
    log, stop, reads = Log(), threading.Event(), {"answers": 0, "failed": 0}
    threads = run_writers(clients, plan, log, stop)
    reading = threading.Thread(target=reader_loop, args=(reader, stop, reads), daemon=True)
    reading.start()
    while len(log.ok("payment")) < 2 * WRITERS:
        time.sleep(0.1)
    victim = cluster.members()["primary"]
    stack("kill-primary")
    killed = time.monotonic()  # the kill is stack.sh's last step (its exit takes milliseconds)
    # RTO: from the kill to the first success of a write *sent* after it (tests/support/workload.py).
    while (first := log.first_write_sent_after(killed)) is None:
        if time.monotonic() - killed > 120:
            raise RuntimeError("no write succeeded within 120 s of the kill")
        time.sleep(0.02)
    time.sleep(3)
    stop.set()
    for thread in [*threads, reading]:
        thread.join(timeout=120)
    failed = log.failed()
    row = {
        "drill": number,
        "killed": victim,
        "new_primary": cluster.members()["primary"],
        "rto_s": round(first - killed, 2),
        "acknowledged": len([o for o in log.outcomes if o.kind != "read" and o.status < 300]),
        "lost": lost_writes(log),
        "failed_requests": len(failed),
        "failed_clean_refused": sum(o.status == 503 and REFUSED in o.message for o in failed),
        "failed_outcome_unknown": sum(o.status == 503 and UNKNOWN in o.message for o in failed),
        "failed_other": sum(not (o.status == 503 and (REFUSED in o.message or UNKNOWN in o.message)) for o in failed),
        "stale_own_reads": len(log.stale_reads()),
        "reads": reads["answers"],
        "reads_failed": reads["failed"],
    }
    stack("start-node", victim.removeprefix("node"))  # the host comes back: rewound, a standby again
    return row


def latency_phase(clients: list[Http], seconds: float) -> list[float]:
    plan = make_plan(WRITERS, prescriptions_each=60)
    log, stop = Log(), threading.Event()
    threads = run_writers(clients, plan, log, stop)
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return [o.latency for o in log.outcomes if o.kind != "read" and o.status < 300]


def nearest_rank(values: list[float], share: float) -> float | None:
    """The smallest value with at least `share` of the values at or below it (no interpolation)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else None


def p95(values: list[float]) -> float:
    return (nearest_rank(values, 0.95) or float("nan")) * 1000


def sync_vs_async(clients: list[Http], seconds: float, rounds: int = 2) -> dict:
    """Alternating rounds (this VM's noise is +-20 %): synchronous, then asynchronous replication."""
    samples = {"sync": [], "async": []}
    for _ in range(rounds):
        for mode in ("sync", "async"):
            stack("replication", mode)
            samples[mode] += latency_phase(clients, seconds)
    stack("replication", "sync")
    result = {f"write_p95_{mode}_ms": round(p95(values), 1) for mode, values in samples.items()}
    result.update({f"writes_{mode}": len(values) for mode, values in samples.items()})
    result["sync_over_async"] = round(result["write_p95_sync_ms"] / result["write_p95_async_ms"], 3)
    return result


def restore_drill() -> dict:
    """A full backup of the database as it is, then a point-in-time restore of it, timed."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM billing_invoice")
        invoices = cursor.fetchone()[0]
    print(f"restore drill: {invoices} invoices in the database", flush=True)
    started = time.monotonic()
    subprocess.run([str(STACK), "backup", "full"], check=True)  # noqa: S603 (progress shown as it goes)
    backup_s = time.monotonic() - started
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
        target = cursor.fetchone()[0]
    time.sleep(1)
    started = time.monotonic()
    subprocess.run([str(STACK), "restore", target, "--replace"], check=True)  # noqa: S603
    restore_s = time.monotonic() - started
    subprocess.run([str(STACK), "stop-restore"], check=True)  # noqa: S603
    return {"invoices": invoices, "full_backup_s": round(backup_s, 1), "restore_s": round(restore_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drills", type=int, default=20)
    parser.add_argument("--latency-seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2, help="alternating sync/async rounds for the latency")
    parser.add_argument("--restore", action="store_true", help="also time a point-in-time restore (slow at scale)")
    args = parser.parse_args()

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:  # else the writers would talk to that server
            raise SystemExit(f"port {PORT} is taken (another benchmark?): set BENCH_PORT to a free one")
    stack("switchover", "1")
    processes = Processes(workers=4, name="drill-web")
    processes.start_web(DB_CONN_MAX_AGE="60")
    processes.start_worker()
    clients = [Http(api_key("drill-writer", "billing_clerk", "pharmacist")) for _ in range(WRITERS)]
    reader = Http(api_key("drill-reader", "clinician"))
    rows, report = [], {}
    try:
        for number in range(1, args.drills + 1):
            rows.append(drill(number, clients, reader))
            print(json.dumps(rows[-1]), flush=True)
        if args.latency_seconds > 0:
            report["latency"] = sync_vs_async(clients, args.latency_seconds, args.rounds)
            print(json.dumps(report["latency"]), flush=True)
        if args.restore:
            report["restore"] = restore_drill()
    finally:
        processes.stop()
        stack("up")
    rtos = sorted(r["rto_s"] for r in rows)
    report["drills"] = {
        "count": len(rows),
        "lost_writes_total": sum(r["lost"] for r in rows),
        "rto_p50_s": nearest_rank(rtos, 0.5),
        "rto_p95_s": nearest_rank(rtos, 0.95),
        "rto_max_s": max(rtos, default=None),
        "failed_requests_per_drill_mean": round(statistics.mean(r["failed_requests"] for r in rows), 1) if rows else 0,
        "failed_not_clean_503": sum(r["failed_other"] for r in rows),
        "failed_outcome_unknown_total": sum(r["failed_outcome_unknown"] for r in rows),
        "stale_own_reads": sum(r["stale_own_reads"] for r in rows),
        "reads_failed_total": sum(r["reads_failed"] for r in rows),
        "reads_total": sum(r["reads"] for r in rows),
    }
    results = ROOT / "bench" / "results" / f"failover-{time.strftime('%Y-%m-%d-%H%M')}.json"
    results.write_text(json.dumps({"drills": rows, **report}, indent=2))
    print("\n== failover drill ==")
    for key, value in {**report["drills"], **report.get("latency", {}), **report.get("restore", {})}.items():
        print(f"  {key:<32} {value}")
    print(f"  (all rows: {results.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
