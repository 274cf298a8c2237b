"""A hospital day, side by side (issue 27): how many staff at once each architecture holds.

(a) "cqrs": as shipped, reads on the standbys, reports from the projections (Redis, views), the worker
refreshing them. (b) "one_database": the same code with no standby to read (REPLICA_DATABASE_URLS empty),
reports computed live on the primary from the write tables (REPORTS_LIVE, reports/queries/live.py) and
no projection hooks (nothing reads the projections). The standbys still replicate (the cluster commits
synchronously), so (b) pays their WAL senders too.

For each level of simulated staff the two sides take turns (servers restarted with the side's settings):
locust (bench/hospital_day.py) starts the users at --spawn-rate, then holds them --hold seconds; a level
passes when page p95 <= 300 ms and errors <= 0.1 % over the hold. A side stops at its first failing level;
its figure is the highest level it passed. Primary CPU (the postmaster and its backends, /proc) and replica
lag (pg_stat_replication) are sampled over each hold. Needs generated data (manage.py generate_data).

    .venv/bin/python bench/hospital_day_run.py --levels 100,200,400,800,1200,1600,2000,2500,3000 --hold 120
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.production")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + "x" * 50)

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402

from bench import hospital_day_plan  # noqa: E402
from bench.figures import machine  # noqa: E402
from bench.servers import PORT, VENV_BIN, Processes  # noqa: E402
from bench.setup import _prescriptions  # noqa: E402
from bench.topology import STACK, _pid  # noqa: E402
from core.routing.state import unit_of_work  # noqa: E402

PAGE_P95_MS, MAX_ERRORS = 300.0, 0.001
THINK_MAX = 10.0  # bench/hospital_day.py: each user's first pause, before recording starts
SIDES = {
    "cqrs": {},
    "one_database": {"REPLICA_DATABASE_URLS": "", "REPORTS_LIVE": "1", "PROJECTION_HOOKS": "0"},
}
TICKS = os.sysconf("SC_CLK_TCK")


def _primary_pid() -> int:
    nodes = [d for d in sorted((STACK / "pg").glob("node*")) if (d / "postmaster.pid").exists()]
    (primary,) = [d for d in nodes if not (d / "standby.signal").exists()]
    return _pid(primary / "postmaster.pid")


def _cpu_seconds(pid: int) -> float:
    """The postmaster's CPU with its children's: reaped ones (cutime, cstime) and live ones."""

    def fields(p: int) -> list[str]:
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    own = fields(pid)
    total = sum(int(own[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            f = fields(int(child))
        except OSError:
            continue
        total += int(f[11]) + int(f[12])
    return total / TICKS


class Sampler:
    """Primary CPU and replica lag over a hold."""

    def __init__(self):
        self.pid = _primary_pid()
        self.lag_ms: list[float] = []
        self._halt = threading.Event()

    def start(self) -> None:
        self.cpu0, self.t0 = _cpu_seconds(self.pid), time.monotonic()
        self.thread = threading.Thread(target=self._lag, daemon=True)
        self.thread.start()

    def _lag(self) -> None:
        with unit_of_work():
            while not self._halt.wait(1.0):
                with connections["default"].cursor() as cursor:
                    cursor.execute(
                        "SELECT COALESCE(EXTRACT(epoch FROM max(replay_lag)) * 1000, 0) FROM pg_stat_replication"
                    )
                    self.lag_ms.append(float(cursor.fetchone()[0]))
        connections["default"].close()

    def stop(self) -> dict:
        cpu = _cpu_seconds(self.pid) - self.cpu0
        seconds = time.monotonic() - self.t0
        self._halt.set()
        self.thread.join(timeout=5)
        lag = sorted(self.lag_ms) or [0.0]
        return {
            # of the whole machine (all cores), as the seed's "primary CPU 80 %" is of its server
            "primary_cpu_percent": round(cpu / seconds / (os.cpu_count() or 1) * 100, 1),
            "primary_cpu_seconds": round(cpu, 1),
            "replica_lag_ms": {"p50": _pct(lag, 50), "p95": _pct(lag, 95), "max": round(lag[-1], 1)},
        }


def _pct(values: list[float], p: float) -> float:
    return round(values[min(len(values) - 1, int(len(values) * p / 100))], 1) if values else 0.0


def summarize(recorded: dict, seconds: float) -> dict:
    everything = [r for rows in recorded.values() for r in rows]
    pages = sorted(ms for is_page, ms, _ in everything if is_page)
    failed = sum(1 for *_, ok in everything if not ok)
    personas = {}
    for persona, rows in sorted(recorded.items()):
        times = sorted(ms for _, ms, _ in rows)
        personas[persona] = {
            "requests": len(rows),
            "errors": sum(1 for *_, ok in rows if not ok),
            "p50_ms": _pct(times, 50),
            "p95_ms": _pct(times, 95),
            "p99_ms": _pct(times, 99),
        }
    return {
        "requests": len(everything),
        "per_second": round(len(everything) / seconds, 1) if seconds else 0,
        "page_requests": len(pages),
        "page_p50_ms": _pct(pages, 50),
        "page_p95_ms": _pct(pages, 95),
        "page_p99_ms": _pct(pages, 99),
        "errors": failed,
        "error_rate": round(failed / len(everything), 5) if everything else 0,
        "personas": personas,
    }


def run_level(side: str, users: int, args, plan_file: Path, out_dir: Path) -> dict:
    name = f"{side}-{users}"
    out = out_dir / f"{name}.json"
    spawn = max(1.0, users / args.spawn_rate) + THINK_MAX  # every user started and past its first pause
    env = {
        **os.environ,
        "HOSPITAL_DAY_PLAN": str(plan_file),
        "HOSPITAL_DAY_OUT": str(out),
    }
    argv = [
        str(VENV_BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "hospital_day.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{int(spawn + args.hold + 1)}s",
        "--host",
        f"http://127.0.0.1:{PORT}",
        "--csv",
        str(out_dir / name),
        "--html",
        str(out_dir / f"{name}.html"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    sampler = Sampler()
    locust = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    time.sleep(spawn)  # the hold starts when every user has started
    sampler.start()
    _, stderr = locust.communicate(timeout=spawn + args.hold + 120)
    sampled = sampler.stop()
    if not out.exists():
        raise RuntimeError(f"locust wrote no results for {name}: {stderr.decode()[-2000:]}")
    found = json.loads(out.read_text())
    held = (found["stopped_at"] - found["started_at"]) if found["started_at"] else 0.0
    result = {"users": users, "held_seconds": round(held, 1), **summarize(found["recorded"], held), **sampled}
    result["failures_seen"] = found["failed"][:20]
    result["passed"] = result["page_p95_ms"] <= PAGE_P95_MS and result["error_rate"] <= MAX_ERRORS and held > 0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="100,200,400,800,1200,1600,2000,2500,3000")
    parser.add_argument("--hold", type=int, default=120, help="seconds each level is held after the ramp")
    parser.add_argument("--spawn-rate", type=float, default=50.0, help="users started per second")
    parser.add_argument("--sides", default="cqrs,one_database")
    parser.add_argument("--tag", default="", help="added to the results directory's name")
    parser.add_argument(
        "--keep-going", action="store_true", help="run every level on both sides (compare at equal load)"
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    sides = args.sides.split(",")
    stamp = dt.datetime.now(dt.UTC)
    out_dir = ROOT / "bench" / "results" / f"hospital-day-{stamp:%Y-%m-%d}{'-' + args.tag if args.tag else ''}"
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True)  # noqa: S603
    with unit_of_work():
        from django.contrib.auth.models import User

        doctor = User.objects.using("default").filter(username__startswith="gen_dr_").first()
        plan = hospital_day_plan.build(users=max(levels), prescriptions=_prescriptions(doctor))
    plan_file = ROOT / ".stack" / "bench" / "hospital-day-plan.json"
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    plan_file.write_text(json.dumps(plan))
    results = {
        "started": stamp.isoformat(),
        "machine": machine(),
        "settings": {"levels": levels, "hold": args.hold, "spawn_rate": args.spawn_rate, "sides": SIDES},
        "levels": {side: [] for side in sides},
    }
    processes = Processes()
    # Every web worker connected and its caches filled before a level starts: a chart page, signed in.
    chart = f"/patients/{plan['patients'][0]}/"
    cookie = plan["sessions"]["clinician"][0]
    processes.warm = [(chart, {"Cookie": cookie, "Accept": "text/html", "X-Forwarded-Proto": "https"})]
    failed: set[str] = set()
    try:
        for users in levels:
            for side in sides:
                if side in failed:
                    continue
                processes.start_web(**SIDES[side])
                processes.start_worker(**SIDES[side])
                level = run_level(side, users, args, plan_file, out_dir)
                results["levels"][side].append(level)
                print(
                    f"{side:>13} {users:>5} users: page p95 {level['page_p95_ms']} ms,"
                    f" errors {level['error_rate']:.3%},"
                    f" {level['per_second']} req/s, primary CPU {level['primary_cpu_percent']} %,"
                    f" lag p95 {level['replica_lag_ms']['p95']} ms -> {'held' if level['passed'] else 'FAILED'}",
                    flush=True,
                )
                if not level["passed"] and not args.keep_going:
                    failed.add(side)
            if len(failed) == len(sides):
                break
    finally:
        processes.stop()
    results["max_users"] = {
        side: max((lv["users"] for lv in found if lv["passed"]), default=0) for side, found in results["levels"].items()
    }
    results["figures"] = figures(results)
    (out_dir / "summary.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results["figures"], indent=1))
    print(f"written {out_dir.relative_to(ROOT)}")


def figures(results: dict) -> dict:
    """The issue's goal figures from one run."""
    most = results["max_users"]
    out: dict = {"max_users": most}
    if most.get("cqrs") is not None and most.get("one_database"):
        out["ratio_cqrs_to_one_database"] = round(most["cqrs"] / most["one_database"], 2)
    # Primary CPU at the one-database side's highest passing level, both sides.
    one = most.get("one_database")
    if one:
        at = {
            side: next((lv["primary_cpu_percent"] for lv in found if lv["users"] == one), None)
            for side, found in results["levels"].items()
        }
        out["primary_cpu_at_one_database_max"] = at
        if at.get("cqrs") and at.get("one_database"):
            out["primary_cpu_ratio"] = round(at["cqrs"] / at["one_database"], 2)
    for side, found in results["levels"].items():
        held = [lv for lv in found if lv["passed"]]
        if held:
            out[f"{side}_at_max"] = {k: held[-1][k] for k in ("users", "page_p95_ms", "per_second", "personas")}
    out["think_time_seconds"] = "uniform 4-10 (median 7)"
    return out


if __name__ == "__main__":
    main()
