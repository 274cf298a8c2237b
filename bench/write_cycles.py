"""Write cycles per second and CPU per cycle, this code against another checkout, in one run (issue 27).

A cycle is invoice create + issue + payment through the API (bench/writer.py, 4 clients as fast as they
go), hooks on and the worker refreshing. gunicorn runs from this tree and from --before (a checkout of
the code to compare, e.g. `git worktree add --detach ../before <commit>`), with this venv, taking turns
--rounds times; the worker (this tree's) runs throughout. CPU per cycle is the CPU time of the stack's own
processes (gunicorn, the Celery workers, the primary PostgreSQL and its backends; /proc) over the cycles
completed: other programs on the machine are left out (the writer, the standbys and Redis too).

    .venv/bin/python bench/write_cycles.py --before ../before [--seconds 20] [--rounds 3]
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

from bench import servers  # noqa: E402
from bench.figures import machine  # noqa: E402
from bench.hospital_day_run import _cpu_seconds, _primary_pid  # noqa: E402
from bench.servers import PORT, Processes  # noqa: E402
from bench.setup import prepare  # noqa: E402
from bench.writer import Writer, Writes, summarize  # noqa: E402


def _group_seconds(pgid: int) -> float:
    """CPU time of every process in a process group, with the children each has reaped."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # pgrp
            total += sum(int(fields[i]) for i in (11, 12, 13, 14))
    return total / os.sysconf("SC_CLK_TCK")


def stack_seconds(processes: Processes) -> dict[str, float]:
    """CPU time so far of gunicorn, the workers and the primary (not of other programs on the machine)."""
    workers = [p.pid for p in (processes.worker, processes.live_worker) if p is not None]
    return {
        "web": _group_seconds(processes.web.pid),
        "worker": sum(_group_seconds(pgid) for pgid in workers),
        "primary": _cpu_seconds(_primary_pid()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the checkout to compare with (its gunicorn cwd)")
    parser.add_argument("--seconds", type=int, default=20, help="per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    plan = prepare(scale=1.0)
    trees = {"before": Path(args.before).resolve(), "after": ROOT}
    pooled = {name: Writes() for name in trees}
    spent = dict.fromkeys(trees, 0.0)
    cpu = {name: dict.fromkeys(("web", "worker", "primary"), 0.0) for name in trees}
    processes = Processes()
    try:
        processes.start_worker()
        for turn in range(args.rounds):
            for name, tree in trees.items():
                servers.ROOT = tree  # gunicorn's cwd: the code it imports
                processes.start_web()
                writer = Writer(PORT, plan["api_key"], plan["writer"], rate=None, threads=4, dispense=False)
                started, busy = time.monotonic(), stack_seconds(processes)
                writer.start()
                time.sleep(args.seconds)
                ops = writer.stop().ops
                spent[name] += time.monotonic() - started
                for part, seconds in stack_seconds(processes).items():
                    cpu[name][part] += seconds - busy[part]
                pooled[name].ops += ops
                done = summarize(Writes(ops), args.seconds)
                print(f"  round {turn + 1} {name}: {done.get('per_second')} writes/s, p95 {done.get('p95_ms')} ms")
    finally:
        servers.ROOT = ROOT
        processes.stop()
    results = {"started": dt.datetime.now(dt.UTC).isoformat(), "machine": machine(), "settings": vars(args)}
    for name in trees:
        found = summarize(pooled[name], spent[name])
        # a cycle is three writes (create, issue, pay): the payments completed count the cycles
        cycles = found.get("by_kind", {}).get("payment", 0)
        found["cycles_per_second"] = round(cycles / spent[name], 1)
        if cycles:
            # the request path (web + primary) and the refreshes the cycles caused (the worker's own CPU; the
            # primary's share of refreshing is in "primary")
            found["cpu_ms_per_cycle"] = {part: round(s / cycles * 1000, 1) for part, s in cpu[name].items()}
            found["cpu_ms_per_cycle"]["total"] = round(sum(cpu[name].values()) / cycles * 1000, 1)
        results[name] = found
    results["speedup"] = round(results["after"]["cycles_per_second"] / results["before"]["cycles_per_second"], 2)
    out = ROOT / "bench" / "results" / f"write-cycles-{dt.datetime.now(dt.UTC):%Y-%m-%d-%H%M}.json"
    out.write_text(json.dumps(results, indent=1))
    print(json.dumps({k: results[k] for k in ("before", "after", "speedup")}, indent=1))
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
