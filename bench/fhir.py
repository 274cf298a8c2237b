"""The FHIR goals at hospital scale (issue 22): a Patient read at concurrency 4, a patient's laboratory
Observations, and Patient/$everything for a patient with about 20 encounters, under wrk against gunicorn
on production settings (an integrator's API key, clinician role), reads served by the standbys.

    .venv/bin/python bench/fhir.py [--seconds 15]

Needs generated data (`manage.py generate_data`); writes bench/results/<date>-fhir.json.
"""

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.load import wrk  # noqa: E402
from bench.servers import BASE_URL, PROXY_HEADERS, Processes  # noqa: E402
from clinical.models import Encounter, LabResult  # noqa: E402
from core.api.commands import api_client_create  # noqa: E402

GOALS = {
    "patient_read_p95_c4_ms": ("Patient/{id} read, p95 at concurrency 4 (ms)", 5),
    "lab_search_p95_c4_ms": ("Observation?patient=X&category=laboratory, p95 at concurrency 4 (ms)", 15),
    "everything_p95_c4_ms": ("Patient/{id}/$everything, 20 encounters, p95 at concurrency 4 (ms)", 50),
}


def subjects() -> dict:
    """A patient with about 20 encounters (the nearest to 20), and the patient with the most lab results."""
    counted = Encounter.objects.values("patient_id").annotate(n=Count("pk"))
    twenty = counted.filter(n__gte=18, n__lte=22).order_by("-n").first() or counted.order_by("-n").first()
    labs = LabResult.objects.values("patient_id").annotate(n=Count("pk")).order_by("-n").first()
    return {
        "everything_patient": twenty["patient_id"],
        "everything_encounters": twenty["n"],
        "labs_patient": labs["patient_id"] if labs else twenty["patient_id"],
        "labs_count": labs["n"] if labs else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    chosen = subjects()
    _, key = api_client_create(name=f"bench-fhir-{timezone.now():%Y%m%d-%H%M%S}", roles=["clinician"])
    headers = {"Authorization": f"Api-Key {key}", "Accept": "application/fhir+json", **PROXY_HEADERS}
    urls = {
        "patient_read": f"/fhir/R4/Patient/{chosen['everything_patient']}",
        "lab_search": f"/fhir/R4/Observation?patient={chosen['labs_patient']}&category=laboratory",
        "everything": f"/fhir/R4/Patient/{chosen['everything_patient']}/$everything",
    }
    processes = Processes()
    processes.warm = [(url, headers) for url in urls.values()]
    results: dict = {"at": dt.datetime.now(dt.UTC).isoformat(), **chosen}
    try:
        processes.start_web()
        for name, url in urls.items():
            results[name] = wrk(BASE_URL + url, 4, args.seconds, headers)
            print(f"  {name}: {results[name]}", flush=True)
    finally:
        processes.stop()
        connections.close_all()
    figures = {f"{name}_p95_c4_ms": results[name]["p95_ms"] for name in urls}
    results["figures"] = figures
    out = ROOT / "bench" / "results" / f"{dt.datetime.now(dt.UTC).date().isoformat()}-fhir.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print("\n| figure | goal | measured | |\n|---|---|---|---|")
    for key_, (label, goal) in GOALS.items():
        print(f"| {label} | <= {goal} | {figures[key_]} | {'met' if figures[key_] <= goal else 'MISSED'} |")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
