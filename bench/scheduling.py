"""Appointments and queues at generated scale, against issue 24's goals (run on its own; `make bench` is
the read side's):

- free-slot search for a department and a week: the query in-process, and GET /api/v1/slots/ under wrk;
- the booking command (in-process, committed), and POST /api/v1/appointments/ from 4 clients;
- the queue board JSON (GET /api/v1/queue/board/) under wrk at concurrency 4;
- check-in -> visible on the board (POST /api/v1/queue/, then polling the board from another client).

    .venv/bin/python bench/scheduling.py [--seconds 15] [--samples 300]

Needs generated data (`manage.py generate_data`); writes bench/results/scheduling-<date>.json. It books
and checks in for real (bench patients, cancelled again at the end where they can be).
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.load import wrk  # noqa: E402
from bench.servers import BASE_URL, PORT, PROXY_HEADERS, Processes  # noqa: E402
from clinical.models import Patient  # noqa: E402
from core.api.commands import api_client_create  # noqa: E402
from core.errors import DomainError  # noqa: E402
from reports.engine import refresh  # noqa: E402
from reports.projections import REGISTRY  # noqa: E402
from scheduling import commands, queries  # noqa: E402
from scheduling.models import QueueEntry, Schedule, Slot  # noqa: E402

GOALS = {"free_slots_p95_ms": 10, "booking_p95_ms": 30, "board_p95_ms": 10, "check_in_to_board_p95_s": 1.0}


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


def free_slot_queries(samples: int, rng: random.Random) -> dict:
    departments = list(Schedule.objects.values_list("department_id", flat=True).distinct())
    today = timezone.localdate()
    times = []
    for _ in range(samples):
        start = today + dt.timedelta(days=rng.randint(0, 21))
        began = time.perf_counter()
        list(queries.free_slots(department_id=rng.choice(departments), start=start, end=start + dt.timedelta(days=6)))
        times.append((time.perf_counter() - began) * 1000)
    return summary(times)


def booking_commands(samples: int, rng: random.Random, patients: list[int]) -> tuple[dict, list[int]]:
    slots = list(
        queries.free_slots(start=timezone.localdate() + dt.timedelta(days=2)).values_list("pk", flat=True)[:20000]
    )
    times, made = [], []
    for slot in rng.sample(slots, min(samples, len(slots))):
        began = time.perf_counter()
        try:
            made.append(commands.appointment_book(patient_id=rng.choice(patients), slot_id=slot, reason="bench").pk)
        except DomainError:
            continue
        times.append((time.perf_counter() - began) * 1000)
    return summary(times), made


def post(path: str, body: dict, key: str) -> tuple[int, dict, float]:
    request = urllib.request.Request(  # noqa: S310 (the local server)
        f"{BASE_URL}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}", **PROXY_HEADERS},
        method="POST",
    )
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local URL)
            return response.status, json.loads(response.read()), time.perf_counter() - began
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), time.perf_counter() - began


def get(path: str, key: str) -> dict:
    headers = {"Authorization": f"Api-Key {key}", **PROXY_HEADERS}
    request = urllib.request.Request(f"{BASE_URL}{path}", headers=headers)  # noqa: S310 (the local server)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local URL)
        return json.loads(response.read())


def api_bookings(key: str, patients: list[int], per_thread: int, rng: random.Random) -> tuple[dict, list[int]]:
    slots = list(
        queries.free_slots(start=timezone.localdate() + dt.timedelta(days=3)).values_list("pk", flat=True)[:20000]
    )
    rng.shuffle(slots)
    times, made, lock = [], [], threading.Lock()

    def client(n: int) -> None:
        mine = slots[n::4][:per_thread]
        for slot in mine:
            code, body, seconds = post("/api/v1/appointments/", {"patient": rng.choice(patients), "slot": slot}, key)
            if code == 201:
                with lock:
                    times.append(seconds * 1000)
                    made.append(body["id"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(times), made


def check_in_to_board(key: str, department: int, provider: int, patients: list[int], count: int) -> tuple[dict, list]:
    latencies, entries = [], []
    for patient in patients[:count]:
        code, body, _ = post(
            "/api/v1/queue/", {"patient": patient, "department": department, "provider": provider}, key
        )
        if code != 201:
            continue
        entries.append(body["id"])
        began = time.monotonic()
        ticket = f"{body['ticket']:03d}"
        while time.monotonic() - began < 10:
            board = get(f"/api/v1/queue/board/?department={department}", key)
            if any(row["ticket"] == ticket for row in board["waiting"]):
                latencies.append(time.monotonic() - began)
                break
            time.sleep(0.02)
    return summary(latencies), entries


def bench_patients(n: int) -> list[int]:
    """Patients with no live appointment or queue entry today (generated ones, far from the busiest)."""
    busy = set(
        QueueEntry.objects.filter(status__in=("waiting", "called", "in_consultation")).values_list(
            "patient_id", flat=True
        )
    )
    found = [pk for pk in Patient.objects.order_by("-pk").values_list("pk", flat=True)[: n * 2] if pk not in busy]
    return found[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    if not Slot.objects.exists():
        sys.exit("No slots: run manage.py generate_data first.")
    rng = random.Random(24)  # noqa: S311
    results: dict = {"at": timezone.now().isoformat(), "slots": Slot.objects.count()}
    patients = bench_patients(4 * args.samples + 100)

    results["free_slots_query_ms"] = free_slot_queries(args.samples, rng)
    results["booking_command_ms"], made = booking_commands(args.samples, rng, patients)

    _, key = api_client_create(
        name=f"bench-scheduling-{timezone.now():%Y%m%d-%H%M%S}", roles=["front_desk", "clinician"]
    )
    department = (Schedule.objects.values("department_id").annotate(n=Count("pk")).order_by("-n", "department_id")[0])[
        "department_id"
    ]
    busiest = (department, Schedule.objects.filter(department_id=department).order_by("pk")[0].provider_id)
    for name in REGISTRY:  # what the bookings above dirtied, caught up before the worker starts
        refresh.refresh(name)
    processes = Processes()
    headers = {"Authorization": f"Api-Key {key}", **PROXY_HEADERS}
    week = timezone.localdate() + dt.timedelta(days=7)
    slots_url = f"/api/v1/slots/?department={busiest[0]}&start={week}&end={week + dt.timedelta(days=6)}&free=true"
    board_url = f"/api/v1/queue/board/?department={busiest[0]}"
    processes.warm = [(slots_url, headers), (board_url, headers)]
    entries: list = []
    try:
        processes.start_web()
        processes.start_worker()
        # The reads first, while the worker is idle: the check-ins below start encounters, whose refreshes
        # (population health is a whole-view one) would otherwise be measured with them.
        results["free_slots_api"] = wrk(f"{BASE_URL}{slots_url}", 4, args.seconds, headers)
        results["board_api"] = wrk(f"{BASE_URL}{board_url}", 4, args.seconds, headers)
        results["check_in_to_board_s"], entries = check_in_to_board(key, *busiest, patients[-60:], 40)
        results["booking_api_ms"], more = api_bookings(key, patients[: 2 * args.samples], args.samples // 4, rng)
        made += more
    finally:
        processes.stop()
    for pk in made:  # give the slots back, and empty the queue again
        with contextlib.suppress(DomainError):
            commands.appointment_cancel(appointment_id=pk, reason="bench")
    for pk in entries:
        with contextlib.suppress(DomainError):
            commands.queue_leave(entry_id=pk, note="bench")
    results["goals"] = GOALS
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results" / f"scheduling-{timezone.localdate()}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out} (port {PORT})")


if __name__ == "__main__":
    main()
