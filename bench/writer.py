"""A steady writer through the public API: create an invoice, issue it, pay it; dispense one unit.

Each operation is one HTTP request that commits one transaction. The writer records, per request, the
wall-clock time its response arrived (the write is committed by then) and its latency.
"""

import http.client
import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Op:
    kind: str
    done_at: float  # time.time() when the response arrived
    seconds: float
    status: int


@dataclass
class Writes:
    ops: list[Op] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op: Op) -> None:
        with self.lock:
            self.ops.append(op)

    def ok(self) -> list[Op]:
        return [op for op in self.ops if 200 <= op.status < 300]


class Client:
    def __init__(self, port: int, key: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {
            "Authorization": f"Api-Key {key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Forwarded-Proto": "https",  # as behind the TLS proxy
        }

    def post(self, path: str, body: dict) -> tuple[int, dict, float]:
        started = time.perf_counter()
        self.connection.request("POST", path, body=json.dumps(body, default=str), headers=self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        seconds = time.perf_counter() - started
        try:
            data = json.loads(payload) if payload else {}
        except ValueError:
            data = {}
        return response.status, data, seconds


class Writer:
    """`threads` clients in a closed loop, each pacing itself to `rate / threads` operations per second
    (rate None: as fast as they can)."""

    def __init__(self, port: int, key: str, plan: dict, *, rate: float | None, threads: int = 2, dispense: bool = True):
        self.port, self.key, self.plan, self.rate, self.threads = port, key, plan, rate, threads
        self.dispense = dispense
        self.writes = Writes()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        # Shared by every writer of the run: a prescription dispensed once cannot be dispensed again.
        self._prescriptions = plan.setdefault("prescriptions", [])
        self._lock = threading.Lock()

    def start(self) -> None:
        for n in range(self.threads):
            thread = threading.Thread(target=self._loop, args=(n,), daemon=True)
            thread.start()
            self._workers.append(thread)

    def stop(self) -> Writes:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=60)
        return self.writes

    def _record(self, kind: str, status: int, seconds: float) -> None:
        self.writes.add(Op(kind, time.time(), seconds, status))

    def _next_prescription(self):
        with self._lock:
            return self._prescriptions.pop() if self._prescriptions else None

    def _loop(self, n: int) -> None:
        client = Client(self.port, self.key)
        interval = self.threads / self.rate if self.rate else 0.0
        patients, service, payer = self.plan["patients"], self.plan["service"], self.plan["payer"]
        i = n
        next_at = time.monotonic()
        while not self._stop.is_set():
            patient = patients[i % len(patients)]
            i += self.threads
            steps = [
                (
                    "invoice",
                    "/api/v1/invoices/",
                    {"patient": patient, "payer": payer, "lines": [{"service": service, "quantity": "1"}]},
                )
            ]
            invoice = None
            for kind, path, body in steps:
                next_at = self._pace(next_at, interval)
                status, data, seconds = client.post(path, body)
                self._record(kind, status, seconds)
                invoice = data.get("id")
            if invoice is None or self._stop.is_set():
                continue
            next_at = self._pace(next_at, interval)
            status, data, seconds = client.post(f"/api/v1/invoices/{invoice}/issue/", {})
            self._record("issue", status, seconds)
            total = Decimal(str(data.get("total", "0")))
            if total > 0 and not self._stop.is_set():
                next_at = self._pace(next_at, interval)
                status, _, seconds = client.post(
                    "/api/v1/payments/", {"invoice": invoice, "amount": str(total), "method": "card"}
                )
                self._record("payment", status, seconds)
            if self.dispense and not self._stop.is_set() and (rx := self._next_prescription()):
                next_at = self._pace(next_at, interval)
                status, _, seconds = client.post(
                    "/api/v1/dispenses/", {"prescription": rx, "quantity": 1, "override_reason": "bench"}
                )
                self._record("dispense", status, seconds)

    def _pace(self, next_at: float, interval: float) -> float:
        if not interval:
            return next_at
        delay = next_at - time.monotonic()
        if delay > 0:
            self._stop.wait(delay)
        return max(next_at + interval, time.monotonic() - interval)


def summarize(writes: Writes, seconds: float) -> dict:
    ok = writes.ok()
    latencies = sorted(op.seconds * 1000 for op in ok)
    failed = len(writes.ops) - len(ok)
    if not latencies:
        return {"writes": 0, "errors": failed}
    return {
        "writes": len(ok),
        "errors": failed,
        "per_second": round(len(ok) / seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "by_kind": {k: sum(1 for op in ok if op.kind == k) for k in sorted({op.kind for op in ok})},
    }
