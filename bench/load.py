"""Read load with wrk, and the web server's request log that says which database served each request."""

import json
import re
import subprocess
import time

from bench.servers import BASE_URL, LOG_DIR, ROOT

# A/B measurements (idle / loaded, hooks off / on) take turns this many times over their seconds.
ROUNDS = 3


def wrk(url: str, concurrency: int, seconds: int, headers: dict[str, str], cpus: str = "") -> dict:
    argv = [
        *(["taskset", "-c", cpus] if cpus else []),
        "wrk",
        "-t",
        str(min(concurrency, 2)),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "report.lua"),
    ]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    output = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    found = re.search(r"JSON(\{.*\})", output)
    if not found:
        raise RuntimeError(f"wrk gave no summary:\n{output}")
    data = json.loads(found.group(1))
    return {
        "requests_per_s": round(data["requests"] / data["seconds"], 1),
        "p50_ms": data["p50"] / 1000,
        "p95_ms": data["p95"] / 1000,
        "p99_ms": data["p99"] / 1000,
        "errors": data["errors"],
        "non_2xx": data["non_2xx"],
    }


class RequestLog:
    """Reads the web server's one-line-per-request JSON log: which database each request's queries hit."""

    def __init__(self):
        self.path = LOG_DIR / "web.log"
        self.offset = 0

    def _size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def mark(self) -> None:
        self.offset = self._size()

    def settle(self, quiet: float = 0.5, limit: float = 15.0) -> None:
        """Wait until the web workers have answered what the last run left queued (wrk stops with requests
        still in the listen backlog: after the slow year reports, seconds of them), so that the next run
        does not share the machine with them."""
        deadline = time.monotonic() + limit
        size = self._size()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            if (now := self._size()) == size:
                return
            size = now

    def since_mark(self) -> dict:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            lines = f.read().decode(errors="replace").splitlines()
        requests = primary = writes = 0
        for line in lines:
            # JSON lines (core/logs.py), or LOG_FORMAT=plain's prefix before the event's JSON.
            start = line.find("{")
            if start < 0 or '"event":"request"' not in line:
                continue
            record = json.loads(line[start:])
            if record.get("event") != "request":
                continue
            requests += 1
            if record.get("wrote"):
                # A write belongs on the primary, with the reads that follow it in that request (the
                # dashboard page rewrites its session's idle stamp every 5 minutes).
                writes += 1
            else:
                primary += int(record["queries"].get("default", 0))
        return {"logged_requests": requests, "primary_queries": primary, "requests_that_wrote": writes}


def read_load(plan, seconds: int, levels: tuple[int, ...], log: RequestLog) -> dict:
    results = {}
    for name, (path, headers) in plan["endpoints"].items():
        results[name] = {}
        for concurrency in levels:
            log.settle()
            log.mark()
            result = wrk(BASE_URL + path, concurrency, seconds, headers)
            result.update(log.since_mark())
            results[name][f"c{concurrency}"] = result
            print(
                f"  {name:<18} c={concurrency:<3} {result['requests_per_s']:>8} req/s  p50 {result['p50_ms']:.1f}"
                f"  p95 {result['p95_ms']:.1f}  p99 {result['p99_ms']:.1f} ms  errors {result['errors']}"
                f"  primary queries {result['primary_queries']} (requests that wrote {result['requests_that_wrote']})",
                flush=True,
            )
    return results
