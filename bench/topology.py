"""Where the benchmark's processes run: every process on every core (one box shared by everything), or
split, the read side on one core and the write side on the other, as when the standby and the report
web workers run on their own host (the deployment the architecture is for; DESIGN.md "Topology").

Split: the standby, Redis, the query web pool and the read load generator on CPU 0; the primary, the
Celery worker, the command web pool and the writer on CPU 1. The running database servers are pinned
through sched_setaffinity (their future backends inherit it from the postmaster), which needs root or
the servers' own user.
"""

import contextlib
import os
from contextlib import contextmanager
from pathlib import Path

STACK = Path(__file__).resolve().parent.parent / ".stack"
READ_CPUS, WRITE_CPUS = {0}, {1}


def _tasks(pid: int) -> list[int]:
    """The process's threads and, recursively, its children's."""
    found = []
    try:
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return found
    found += threads
    for tid in threads:
        try:
            children = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += _tasks(int(child))
    return found


def _pid(path: Path) -> int:
    return int(path.read_text().split()[0])


def servers() -> dict[str, list[int]]:
    """The threads of the local stack's servers, by side: the Patroni nodes' PostgreSQL (the primary is the
    one without standby.signal, wherever Patroni put it), and Redis on the read side."""
    nodes = [d for d in sorted((STACK / "pg").glob("node*")) if (d / "postmaster.pid").exists()]
    primary = [d for d in nodes if not (d / "standby.signal").exists()]
    if len(primary) != 1:
        raise RuntimeError(f"expected one running primary among {[d.name for d in nodes]}, found {len(primary)}")
    return {
        "write": _tasks(_pid(primary[0] / "postmaster.pid")),
        "read": [t for d in nodes if d not in primary for t in _tasks(_pid(d / "postmaster.pid"))]
        + _tasks(_pid(STACK / "redis" / "redis.pid")),
    }


def _set(tasks: list[int], cpus: set[int]) -> None:
    for tid in tasks:
        with contextlib.suppress(ProcessLookupError):  # a backend that has just exited
            os.sched_setaffinity(tid, cpus)


@contextmanager
def split():
    """Pin the servers (and this thread, the writer's, and the threads it starts) to their sides; undo it
    afterwards. PermissionError when the servers belong to another user and this one is not root."""
    every = set(range(os.cpu_count() or 1))
    tasks = servers()
    mine = os.sched_getaffinity(0)
    try:
        _set(tasks["write"], WRITE_CPUS)
        _set(tasks["read"], READ_CPUS)
        os.sched_setaffinity(0, WRITE_CPUS)
        yield
    finally:
        os.sched_setaffinity(0, mine)
        current = servers()
        _set(current["write"] + current["read"], every)


def cpu_list(cpus: set[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))
