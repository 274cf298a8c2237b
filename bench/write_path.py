"""The write path: what the projection hooks add to a write."""

import time

from bench.load import ROUNDS
from bench.servers import PORT, Processes
from bench.writer import Writer, Writes, summarize


def write_path(processes: Processes, plan, seconds: int) -> dict:
    """Writes as fast as 4 clients go: hooks off; hooks on with the worker stopped (what the hooks add to
    the write itself: outbox rows and the enqueue); hooks on with the worker refreshing (the whole cost on
    this machine, where the refreshes share its two cores with the writes). The three take turns, ROUNDS
    times over, and each figure pools its rounds: this VM's speed drifts over minutes (its neighbours), and
    turns spread the drift over all three instead of loading it on whichever ran last."""
    runs = (("hooks_off", "0", False), ("hooks_on", "1", False), ("hooks_on_worker_running", "1", True))
    pooled = {label: Writes() for label, _, _ in runs}
    spent = dict.fromkeys(pooled, 0.0)
    for turn in range(ROUNDS):
        for label, hooks, worker in runs:
            processes.start_web(PROJECTION_HOOKS=hooks)
            if not worker:
                processes.stop_worker()
            else:
                processes.start_worker()
            writer = Writer(PORT, plan["api_key"], plan["writer"], rate=None, threads=4, dispense=False)
            started = time.monotonic()
            writer.start()
            time.sleep(max(seconds / ROUNDS, 3))
            ops = writer.stop().ops
            spent[label] += time.monotonic() - started
            pooled[label].ops += ops
            p95 = summarize(Writes(ops), 1).get("p95_ms")
            print(f"  write path round {turn + 1} {label}: p95 {p95} ms", flush=True)
    processes.start_web()  # hooks on again; the worker is running (the last turn's)
    results = {label: summarize(pooled[label], spent[label]) for label in pooled}
    off = results["hooks_off"]
    results["overhead_percent"] = {
        label: {
            "p95": round((results[label]["p95_ms"] / off["p95_ms"] - 1) * 100, 1),
            "throughput": round((1 - results[label]["per_second"] / off["per_second"]) * 100, 1),
        }
        for label in ("hooks_on", "hooks_on_worker_running")
    }
    return results
