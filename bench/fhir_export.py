"""FHIR Bulk Data $export at hospital scale (issue 22): a system-level export of every type run by a real
Celery worker (production settings) on the generated data, with the worker's peak RSS sampled every second
and the progress the status URL would show.

    .venv/bin/python bench/fhir_export.py [--types Patient,Observation] [--max-seconds 900]

With --max-seconds the export is cancelled when the time is up and the rate so far is reported, with the
time the whole export would take at that rate. Writes bench/results/<date>-fhir-export.json.
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

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from bench.servers import Processes  # noqa: E402
from fhir_api import commands, tasks  # noqa: E402
from fhir_api.resources import TYPES  # noqa: E402


def rss_kib(pid: int) -> int:
    """The resident set of a process and its children (the prefork pool's workers), KiB."""
    total = 0
    for child in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total = max(total, int(line.split()[1]))
        except FileNotFoundError:
            continue
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            found += [int(c) for c in children.read_text().split()]
    return found + [g for c in found for g in _children(c)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--types", default=",".join(TYPES))
    parser.add_argument("--max-seconds", type=int, default=900)
    args = parser.parse_args()
    user, _ = User.objects.get_or_create(username="bench-export", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="admin"))
    with transaction.atomic(using="default"):
        job = commands.export_request(
            level="system", types=args.types.split(","), since=None, requested_by=user,
            request_url="bench/fhir_export.py", audit={"username": "bench-export"},
        )  # fmt: skip
    processes = Processes()
    peak, samples = 0, []
    try:
        processes.start_worker()
        worker_pid = processes.worker.pid
        started = time.monotonic()
        tasks.bulk_export.delay(job.pk)
        while True:
            time.sleep(1)
            job.refresh_from_db()
            peak = max(peak, rss_kib(worker_pid))
            elapsed = time.monotonic() - started
            if int(elapsed) % 10 == 0:
                samples.append({"s": round(elapsed), "rows": job.rows_done, "rss_mib": round(peak / 1024, 1)})
                print(f"  {elapsed:6.0f} s  {job.percent:3}%  {job.rows_done:,}/{job.rows_total:,} rows  "
                      f"{job.current_type:<20} worker RSS peak {peak / 1024:.0f} MiB", flush=True)  # fmt: skip
            if not job.active or elapsed > args.max_seconds:
                break
        if job.active:
            commands.export_cancel(export_id=job.pk)
    finally:
        processes.stop()
        connections.close_all()
    elapsed = time.monotonic() - started
    rate = job.rows_done / elapsed if elapsed else 0
    result = {
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "types": args.types.split(","),
        "status": job.status,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "resources_written": sum(o["count"] for o in job.output),
        "seconds": round(elapsed, 1),
        "rows_per_s": round(rate),
        "whole_export_estimate_min": round(job.rows_total / rate / 60, 1) if rate else None,
        "worker_peak_rss_mib": round(peak / 1024, 1),
        "samples": samples,
    }
    out = ROOT / "bench" / "results" / f"{dt.datetime.now(dt.UTC).date().isoformat()}-fhir-export.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=2))


if __name__ == "__main__":
    main()
