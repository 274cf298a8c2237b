"""Prescribing with every safety check at hospital scale (issue 20): the API's prescribe p95, beside what
the rule engine takes of it, the same order's check without writing it, and what the patient-alerts
projection costs per order (incrementally, patient by patient) against a whole recomputation.

    .venv/bin/python bench/prescribing.py [--orders 400]

Runs against the generated data (`generate_data`: 200k patients, most asked about allergies, some
allergic), with gunicorn on production settings and a real Celery worker, like `make bench`. Each order
is for a generated patient in a new outpatient encounter (opened through the commands before timing):
half are allergic patients, half said "no known drug allergies"; half of each are already on a 30-day
course (so interactions and duplicate therapy have something to find). The drug ordered is amoxicillin,
ibuprofen or one drawn from the formulary, in turns. Orders a check blocks carry an override reason, so
every request writes. "Without the engine" is the API p95 less the engine's own p95 on the same orders
(the prescribe path is otherwise what it was before issue 20: the same command, serializer and audit).
"""

import argparse
import datetime as dt
import json
import os
import random
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

from django.contrib.auth.models import User  # noqa: E402
from django.db import connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.servers import PORT, Processes  # noqa: E402
from bench.setup import _api_key, _user  # noqa: E402
from bench.writer import Client  # noqa: E402
from clinical import commands as clinical  # noqa: E402
from clinical.models import Allergy, AllergyStatement, Department, Patient  # noqa: E402
from core.routing.state import unit_of_work  # noqa: E402
from pharmacy import commands as pharmacy  # noqa: E402
from pharmacy import safety  # noqa: E402
from pharmacy.models import Drug  # noqa: E402
from reports.engine import refresh  # noqa: E402

GOALS = {"prescribe_api_p95_ms": ("prescribe through the API with every check, p95 (ms)", 25)}
OVERRIDE = "Benchmark: reviewed with the patient"


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20)[-1], 2) if len(values) > 1 else round(values[0], 2)


def summary(values_ms: list[float]) -> dict:
    return {"n": len(values_ms), "p50": round(statistics.median(values_ms), 2), "p95": p95(values_ms)}


def _drug(name: str) -> Drug:
    drug = Drug.objects.filter(generic_name__iexact=name, active=True).order_by("id").first()
    if drug is None:
        sys.exit(f"no {name} on the formulary: generate the data first (manage.py generate_data)")
    return drug


def orders(count: int, seed: int = 20) -> list[dict]:
    """`count` orders, each for a generated patient in a new open encounter (made here, not timed)."""
    rng = random.Random(seed)  # noqa: S311 (benchmark data)
    doctor = User.objects.filter(username__startswith="gen_dr_").order_by("id").first()
    department = Department.objects.order_by("id").first()
    allergic = list(
        Allergy.objects.filter(category="drug").order_by("patient_id").values_list("patient_id", flat=True).distinct()
    )
    nkda = list(
        AllergyStatement.objects.filter(withdrawn_at__isnull=True, kind="nkda")
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
    )
    if len(allergic) < count or len(nkda) < count:
        sys.exit("too few patients with allergies on record: generate the data first (manage.py generate_data)")
    patients = rng.sample(allergic, count // 2) + rng.sample(nkda, count - count // 2)
    ongoing = [_drug("Lisinopril"), _drug("Warfarin"), _drug("Aspirin"), _drug("Metformin")]
    ordered = [_drug("Amoxicillin"), _drug("Ibuprofen")]
    formulary = list(Drug.objects.filter(active=True).values_list("id", flat=True))
    plan = []
    for i, patient_id in enumerate(patients):
        with unit_of_work():
            encounter = clinical.encounter_start(
                patient_id=patient_id, type="outpatient", department_id=department.pk, attending_id=doctor.pk
            )
            if i % 4 < 2:  # half of each group is already on a course
                pharmacy.prescription_create(
                    encounter_id=encounter.pk, drug_id=ongoing[i % len(ongoing)].pk, dose="1 tablet",
                    frequency="once daily", duration_days=30, quantity=30, prescriber=doctor,
                    override_reason=OVERRIDE,
                )  # fmt: skip
        drug = ordered[i % 3].pk if i % 3 < 2 else rng.choice(formulary)
        plan.append({"patient": patient_id, "encounter": encounter.pk, "drug": drug})
    return plan


def engine_alone(plan: list[dict]) -> list[float]:
    """The rule engine's own time for each order, in this process on the primary (as the command runs it)."""
    timings = []
    for order in plan:
        started = time.perf_counter()
        safety.for_new_order(
            patient_id=order["patient"], drug_id=order["drug"], duration_days=5, at=timezone.now(), using="default"
        )
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def through_api(client: Client, plan: list[dict], path: str) -> tuple[list[float], dict]:
    timings, outcomes = [], {}
    for order in plan:
        body = {
            "encounter": order["encounter"],
            "drug": order["drug"],
            "dose": "1 tablet",
            "frequency": "three times daily",
            "duration_days": 5,
            "quantity": 15,
            "override_reason": OVERRIDE,
        }
        status, answer, seconds = client.post(path, body)
        if status >= 300:
            raise RuntimeError(f"{path} answered {status}: {answer}")
        timings.append(seconds * 1000)
        for check in answer.get("checks", []):
            key = f"{check['rule']}:{check['action']}"
            outcomes[key] = outcomes.get(key, 0) + 1
    return timings, outcomes


def alerts_cost(plan: list[dict], client: Client) -> dict:
    """With the worker stopped: the incremental refresh after `len(plan)` orders, against a whole one."""
    through_api(client, plan, "/api/v1/prescriptions/")
    started = time.perf_counter()
    refresh.refresh("patient_alerts")
    incremental = time.perf_counter() - started
    started = time.perf_counter()
    refresh.refresh("patient_alerts", force=True)
    whole = time.perf_counter() - started
    return {"orders": len(plan), "incremental_s": round(incremental, 3), "whole_view_s": round(whole, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=400)
    args = parser.parse_args()
    patients = Patient.objects.count()
    if patients < 100_000:
        sys.exit(f"{patients:,} patients: generate the data first (manage.py generate_data)")
    with unit_of_work():
        _user("bench")
        key = _api_key()
        plan = orders(args.orders + 50)
    timed, later = plan[: args.orders], plan[args.orders :]
    refresh.refresh("patient_alerts")
    results = {"started": dt.datetime.now(dt.UTC).isoformat(), "patients": patients, "orders": args.orders}
    processes = Processes()
    try:
        processes.start_worker()
        processes.start_web()
        client = Client(PORT, key)
        with unit_of_work():
            warm = orders(20, seed=21)
        through_api(client, warm, "/api/v1/prescriptions/check/")
        through_api(client, warm, "/api/v1/prescriptions/")
        checks, _ = through_api(client, timed, "/api/v1/prescriptions/check/")
        results["check_api_ms"] = summary(checks)
        print(f"  check (no write): {results['check_api_ms']}", flush=True)
        prescribe, outcomes = through_api(client, timed, "/api/v1/prescriptions/")
        results["prescribe_api_ms"] = summary(prescribe)
        results["findings"] = dict(sorted(outcomes.items()))
        print(f"  prescribe: {results['prescribe_api_ms']}; findings {results['findings']}", flush=True)
        results["engine_ms"] = summary(engine_alone(timed))
        print(f"  the engine alone: {results['engine_ms']}", flush=True)
        processes.stop_worker()
        results["alerts"] = alerts_cost(later, client)
        print(f"  patient alerts: {results['alerts']}", flush=True)
    finally:
        processes.stop()
        connections.close_all()
    figures = {
        "prescribe_api_p95_ms": results["prescribe_api_ms"]["p95"],
        "prescribe_without_engine_p95_ms": round(results["prescribe_api_ms"]["p95"] - results["engine_ms"]["p95"], 2),
        "engine_p95_ms": results["engine_ms"]["p95"],
        "check_api_p95_ms": results["check_api_ms"]["p95"],
    }
    results["figures"] = figures
    out = ROOT / "bench" / "results" / f"{dt.datetime.now(dt.UTC).date().isoformat()}-prescribing.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print("\n| figure | goal | measured | |\n|---|---|---|---|")
    for key_, (label, goal) in GOALS.items():
        print(f"| {label} | <= {goal} | {figures[key_]} | {'met' if figures[key_] <= goal else 'MISSED'} |")
    for key_ in ("prescribe_without_engine_p95_ms", "engine_p95_ms", "check_api_p95_ms"):
        print(f"| {key_} | | {figures[key_]} | |")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
