"""The inpatient goals at hospital scale (issue 23): the whole hospital's bed board, page and JSON, at
concurrency 4; an admission's command time; commit -> visible on the board.

    .venv/bin/python bench/inpatient.py [--seconds 20] [--admissions 200]

Runs against the generated data (`generate_data`: 1,000 beds, three years of admissions), with gunicorn on
production settings and a real Celery worker, like `make bench`. Admissions are made for new inpatient
encounters (through the commands), each into the first free bed of a ward, and discharged again after.
"""

import argparse
import datetime as dt
import json
import os
import statistics
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
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from bench.freshness import Observer  # noqa: E402
from bench.load import wrk  # noqa: E402
from bench.servers import BASE_URL, PROXY_HEADERS, Processes  # noqa: E402
from bench.setup import _session_cookie  # noqa: E402
from clinical import commands as clinical  # noqa: E402
from clinical.models import Patient  # noqa: E402
from core.routing.state import unit_of_work  # noqa: E402
from inpatient import commands  # noqa: E402
from inpatient.models import Admission, Bed, Ward  # noqa: E402
from reports.engine import refresh  # noqa: E402

GOALS = {
    "bed_board_page_p95_c4_ms": ("bed board page (whole hospital) p95, concurrency 4", 30),
    "bed_board_json_p95_c4_ms": ("bed board JSON (whole hospital) p95, concurrency 4", 10),
    "board_visible_p95_s": ("commit -> visible on the board, p95 (s)", 1),
    "admission_command_p95_ms": ("admission command p95 (ms)", 30),
}


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20)[-1], 3) if len(values) > 1 else values[0]


def ward_user() -> None:
    """The benchmark's signed-in user may read the board too (its roles: bench/setup.py's plus the ward's)."""
    user = User.objects.get(username="bench")
    user.groups.add(*Group.objects.filter(name__in=("nurse", "clinician")))


def admissions(count: int, observer: Observer) -> dict:
    """`count` admissions (new inpatient encounters, the first free bed of the ward with most free beds),
    each discharged again at once; the admit command's time and when it committed."""
    doctor = User.objects.filter(username__startswith="gen_dr_").first()
    busy = Admission.objects.filter(status="admitted").values("patient_id")
    patients = list(Patient.objects.exclude(pk__in=busy).order_by("-id").values_list("id", flat=True)[:count])
    timings, committed = [], []
    for patient_id in patients:
        with unit_of_work():
            ward = Ward.objects.filter(active=True, beds__status="free", sex_policy="any").order_by("id").first()
            encounter = clinical.encounter_start(
                patient_id=patient_id, type="inpatient", department_id=ward.department_id, attending_id=doctor.pk
            )
            started = time.perf_counter()
            admission = commands.admission_admit(encounter_id=encounter.pk, ward_id=ward.pk)
            timings.append((time.perf_counter() - started) * 1000)
            committed.append(time.time())
        time.sleep(0.2)
        with unit_of_work():
            commands.admission_order_discharge(admission_id=admission.pk)
            commands.admission_discharge(admission_id=admission.pk)
            bed = Bed.objects.get(assignments__admission=admission)
            commands.bed_set_status(bed_id=bed.pk, status="free")
    time.sleep(3)
    visible = observer.visible_after("redis", "bed_board", committed)
    return {
        "admissions": len(timings),
        "command_ms": {"p50": round(statistics.median(timings), 2), "p95": round(p95(timings), 2)},
        "visible_s": {"p50": round(statistics.median(visible), 3), "p95": p95(visible), "seen": len(visible)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--admissions", type=int, default=200)
    args = parser.parse_args()
    beds = Bed.objects.count()
    if beds < 500:
        sys.exit(f"{beds} beds: generate the data first (manage.py generate_data)")
    call_command("collectstatic", interactive=False, verbosity=0)  # production settings serve the manifest
    with unit_of_work():
        cookie = _session_cookie()
        ward_user()
    refresh.refresh("bed_board", force=True)
    refresh.refresh("patient_alerts")
    page = {"Cookie": cookie, "Accept": "text/html", **PROXY_HEADERS}
    processes = Processes()
    processes.warm = [("/inpatient/board/", page), ("/inpatient/board/data/", page)]
    results = {"started": dt.datetime.now(dt.UTC).isoformat(), "beds": beds}
    try:
        processes.start_worker()
        processes.start_web()
        for name, path in (("page", "/inpatient/board/"), ("json", "/inpatient/board/data/")):
            results[name] = wrk(BASE_URL + path, 4, args.seconds, page)
            print(f"  bed board {name}: {results[name]}", flush=True)
        observer = Observer(projections=("bed_board",))
        observer.start()
        results["admit"] = admissions(args.admissions, observer)
        observer.stop()
        print(f"  admissions: {results['admit']}", flush=True)
    finally:
        processes.stop()
        connections.close_all()
    figures = {
        "bed_board_page_p95_c4_ms": results["page"]["p95_ms"],
        "bed_board_json_p95_c4_ms": results["json"]["p95_ms"],
        "board_visible_p95_s": results["admit"]["visible_s"]["p95"],
        "admission_command_p95_ms": results["admit"]["command_ms"]["p95"],
    }
    results["figures"] = figures
    out = ROOT / "bench" / "results" / f"{dt.datetime.now(dt.UTC).date().isoformat()}-inpatient.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print("\n| figure | goal | measured | |\n|---|---|---|---|")
    for key, (label, goal) in GOALS.items():
        print(f"| {label} | <= {goal} | {figures[key]} | {'met' if figures[key] <= goal else 'MISSED'} |")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
