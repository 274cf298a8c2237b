"""The patient view at generated scale, against issue 21's goals (run on its own; `make bench` is the read
side's):

- search by each kind of query (common surname, "Family, Given", given family, a name's start, a typo, MRN,
  MRN prefix, phone, birth date, postal code, age range, condition): in-process, and
  GET /api/v1/patients/?... under wrk at concurrency 4;
- the patient summary, in-process and GET /api/v1/patients/{id}/summary/ under wrk at concurrency 4;
- commit -> visible in the patient view at 20 writes/s (vitals recorded through the command, each looked for
  in the patient's row on a standby by another thread);
- one patient's recomputation (what a write costs the view), in-process: its time does not depend on how
  many patients there are (it reads that patient's rows by index); compare runs at two scales.

    .venv/bin/python bench/patients.py [--seconds 15] [--samples 200] [--writes 300]

Needs generated data (`manage.py generate_data`); writes bench/results/patients-<date>.json. It records
vitals for real, in new encounters of a few patients (closed again at the end).
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.load import wrk  # noqa: E402
from bench.servers import BASE_URL, PORT, PROXY_HEADERS, Processes  # noqa: E402
from clinical import commands as clinical  # noqa: E402
from clinical.models import Department  # noqa: E402
from core.api.commands import api_client_create  # noqa: E402
from core.routing.state import unit_of_work  # noqa: E402
from reports.engine import refresh  # noqa: E402
from reports.projections import REGISTRY  # noqa: E402
from reports.projections.patient_view import recompute  # noqa: E402
from reports.queries.patients import patient_search, patient_summary  # noqa: E402

GOALS = {"search_p95_c4_ms": 10, "summary_p95_c4_ms": 5, "commit_to_view_p95_s": 1.0}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": pct(values, 0.5),
        "p95": pct(values, 0.95),
        "mean": round(statistics.mean(values), 2),
    }


def sample_patient() -> dict:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT mrn, given_name, family_name, date_of_birth, phone, postal_code FROM reports_patient_view "
            "WHERE family_name = (SELECT family_name FROM reports_patient_view GROUP BY 1 ORDER BY count(*) DESC "
            "LIMIT 1 OFFSET 5) ORDER BY patient_id LIMIT 1"
        )
        mrn, given, family, born, phone, postal = cursor.fetchone()
        cursor.execute("SELECT family_name FROM reports_patient_view GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        (common,) = cursor.fetchone()
    return {
        "common surname": {"q": common},
        "family, given": {"q": f"{family}, {given}"},
        "given family": {"q": f"{given.lower()} {family.lower()}"},
        "start of a name": {"q": family[:4]},
        "typo": {"q": f"{given} {family[:-2]}{family[-1]}{family[-2]}"},
        "mrn": {"q": mrn},
        "mrn prefix": {"q": mrn[:-2]},
        "phone": {"q": phone[-8:]},
        "birth date": {"q": born.strftime("%d/%m/%Y")},
        "postal code": {"postal_code": postal},
        "age range in an area": {"min_age": 30, "max_age": 35, "postal_code": postal[:3]},
        "condition in an area": {"condition": "E11", "postal_code": postal},
    }


def in_process(queries: dict, samples: int) -> dict:
    found = {}
    for name, criteria in queries.items():
        times = []
        for _ in range(samples):
            with unit_of_work():
                began = time.perf_counter()
                results = patient_search(**criteria)
                page = results[:20]
                results.count()
                times.append((time.perf_counter() - began) * 1000)
        found[name] = {**summary(times), "rows": len(page), "read_as": results.search.kind or "filters"}
    return found


def summaries_in_process(patients: list[int]) -> dict:
    times = []
    for patient in patients:
        with unit_of_work():
            began = time.perf_counter()
            patient_summary(patient_id=patient)
            times.append((time.perf_counter() - began) * 1000)
    return summary(times)


def recompute_one(patients: list[int]) -> dict:
    """One patient's rows rewritten from the record, as a write's refresh does (rolled back)."""
    times = []
    for patient in patients:
        connection = connections["default"]
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            began = time.perf_counter()
            recompute(cursor, [patient])
            times.append((time.perf_counter() - began) * 1000)
            cursor.execute("ROLLBACK")
    return summary(times)


def commit_to_view(patients: list[int], writes: int, rate: float) -> dict:
    """Vitals recorded at `rate` per second (through the command); each awaited in its patient's row."""
    doctor = User.objects.filter(groups__name="clinician", is_active=True).order_by("pk").first()
    department = Department.objects.order_by("pk").first()
    encounters = [
        clinical.encounter_start(patient_id=p, type="outpatient", department_id=department.pk, attending_id=doctor.pk)
        for p in patients
    ]
    latencies, lock, pending = [], threading.Lock(), []
    done = threading.Event()

    def watch():
        standby = next((a for a in connections if a != "default"), "default")
        while not done.is_set() or pending:
            with lock:
                waiting = list(pending)
            for vitals_id, patient, began in waiting:
                with connections[standby].cursor() as cursor:
                    cursor.execute(
                        "SELECT recent_vitals::text LIKE %s FROM reports_patient_view WHERE patient_id = %s",
                        [f'%"id": {vitals_id},%', patient],
                    )
                    row = cursor.fetchone()
                if row and row[0]:
                    with lock:
                        latencies.append(time.monotonic() - began)
                        pending.remove((vitals_id, patient, began))
                elif time.monotonic() - began > 30:
                    with lock:
                        pending.remove((vitals_id, patient, began))
            time.sleep(0.01)
        connections.close_all()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(writes):
            encounter = encounters[n % len(encounters)]
            began = time.monotonic()
            vitals = clinical.vitals_record(encounter_id=encounter.pk, pulse=60 + n % 40)
            with lock:
                pending.append((vitals.pk, encounter.patient_id, began))
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - began)))
    finally:
        done.set()
        watcher.join()
        for encounter in encounters:
            clinical.encounter_close(encounter_id=encounter.pk)
    return {**summary(latencies), "lost": writes - len(latencies), "rate_per_s": rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_patient_view")
        (count,) = cursor.fetchone()
        cursor.execute("SELECT patient_id FROM reports_patient_view ORDER BY random() LIMIT %s", [args.samples])
        patients = [row[0] for row in cursor.fetchall()]
    if count < 1000:
        sys.exit("Too few patients: run manage.py generate_data first.")
    for name in REGISTRY:  # caught up before anything is measured
        refresh.refresh(name)
    queries = sample_patient()
    results: dict = {"at": timezone.now().isoformat(), "patients": count}
    results["search_in_process_ms"] = in_process(queries, max(20, args.samples // 10))
    results["summary_in_process_ms"] = summaries_in_process(patients)
    results["recompute_one_patient_ms"] = recompute_one(patients[:50])

    _, key = api_client_create(name=f"bench-patients-{timezone.now():%Y%m%d-%H%M%S}", roles=["clinician"])
    headers = {"Authorization": f"Api-Key {key}", **PROXY_HEADERS}
    processes = Processes()
    summary_url = f"/api/v1/patients/{patients[0]}/summary/"
    processes.warm = [(summary_url, headers), ("/api/v1/patients/?q=a", headers)]
    try:
        processes.start_web()
        processes.start_worker()
        results["search_api_c4"] = {
            name: wrk(f"{BASE_URL}/api/v1/patients/?{urllib.parse.urlencode(criteria)}", 4, args.seconds, headers)
            for name, criteria in queries.items()
        }
        results["summary_api_c4"] = wrk(f"{BASE_URL}{summary_url}", 4, args.seconds, headers)
        results["commit_to_view_s"] = commit_to_view(patients[:20], args.writes, 20.0)
    finally:
        processes.stop()
    results["goals"] = GOALS
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results" / f"patients-{timezone.localdate()}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out} (port {PORT})")


if __name__ == "__main__":
    main()
