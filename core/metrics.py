"""Prometheus metrics: the families every process records, and their exposition.

Several processes serve one role (gunicorn's workers, Celery's pool): each records into its own files in
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode), and one exposition merges them, so a
scrape sees the whole role whichever process answers it (docs/decisions/0014). The launcher sets the
variable (Procfile, compose, tests), before Python starts: prometheus_client reads it once, at import.
Without it (runserver, the test process) the metrics live in this process only, which is then the truth.

What is measured at scrape time instead of when it happens (replica lag, staleness, outbox backlog, queue
depth, ...) is a collector the exposition is given (ops/metrics.py): core knows no app.
"""

import hmac
import ipaddress
import logging
import os
import threading
import time
from pathlib import Path

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from core import tracing
from core.routing import state as routing_state

log = logging.getLogger("hmis.metrics")

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # the families below without labels open their file at once
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The text format every Prometheus since 2.0 reads (1.0.0 only adds escaping for UTF-8 names we never use).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

HTTP_REQUESTS = Counter(
    "hmis_http_requests", "HTTP requests answered, by view, method and status", ["view", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "hmis_http_request_duration_seconds",
    "Time to answer a request, by view",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
DB_QUERIES = Histogram(
    "hmis_db_query_duration_seconds",
    "Database statements and their time, by alias (default = the primary) and kind (read, write, probe)",
    ["alias", "kind"],
    buckets=QUERY_BUCKETS,
)
ROUTER_DECISIONS = Counter(
    "hmis_router_decisions",
    "Where a unit of work's reads were sent: standby; primary_read_your_writes (no usable standby had "
    "replayed the position it must see); primary_no_standby (none usable)",
    ["decision"],
)
STANDBY_SKIPPED = Counter(
    "hmis_router_standby_skipped", "A standby set aside for a back-off, by reason (down, lagging)", ["alias", "reason"]
)
PROJECTION_REFRESHES = Counter("hmis_projection_refreshes", "Projection refreshes done", ["projection"])
PROJECTION_REFRESH_FAILURES = Counter(
    "hmis_projection_refresh_failures", "Projection refreshes that failed", ["projection"]
)
PROJECTION_REFRESH_SECONDS = Histogram(
    "hmis_projection_refresh_duration_seconds", "Time of one projection refresh", ["projection"], buckets=TASK_BUCKETS
)
CELERY_TASKS = Counter(
    "hmis_celery_tasks", "Celery tasks run, by outcome (succeeded, failed, retried)", ["task", "outcome"]
)
CELERY_TASK_SECONDS = Histogram(
    "hmis_celery_task_duration_seconds", "Celery task runtime", ["task"], buckets=TASK_BUCKETS
)
IDEMPOTENT_REPLAYS = Counter("hmis_idempotent_replays", "POSTs answered from a stored Idempotency-Key response")
THROTTLED = Counter("hmis_throttled_requests", "API requests refused with 429, by reason (rate, bad_key)", ["reason"])

# Label children are looked up once per process: .labels() takes a lock and builds a tuple on every call.
_children: dict[tuple, object] = {}


def _child(metric, *labels):
    key = (metric._name, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    if not settings.METRICS_ENABLED:
        return
    _child(HTTP_REQUESTS, view, method, str(status)).inc()
    _child(HTTP_LATENCY, view, method).observe(seconds)


# --- database statements: one wrapper on every connection of every process ---------------------------

READ_VERBS = ("SELECT", "WITH", "SHOW", "EXPLAIN", "VALUES")
PROBE_MARK = "/* hmis routing probe */"  # marks the router's health probes (core/routing/health.py uses it)


def statement_kind(sql: str) -> str:
    head = sql.lstrip()[:30]
    if head.startswith(PROBE_MARK):
        return "probe"
    return "read" if head.upper().startswith(READ_VERBS) else "write"


def _timed(alias: str):
    enabled = settings.METRICS_ENABLED  # off only to price the metrics (bench/metrics_overhead.py)

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        span = tracing.statement_span(alias, sql, context)  # None unless a recording span is current
        try:
            if span is None:
                return execute(sql, params, many, context)
            with span:
                return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            kind = statement_kind(sql)
            if enabled:
                _child(DB_QUERIES, alias, kind).observe(elapsed)
            # The unit of work's own tally (request and task log lines): probes apart.
            unit = routing_state.current()
            counts = unit.probes if kind == "probe" else unit.queries
            counts[alias] = counts.get(alias, 0) + 1
            if kind != "probe":
                unit.query_ms[alias] = unit.query_ms.get(alias, 0.0) + elapsed * 1000

    timed.hmis_metrics = True
    return timed


def install_query_timer(sender=None, connection=None, **kwargs) -> None:
    """connection_created: time this connection's statements (once per DatabaseWrapper, kept across reconnects)."""
    if connection is None or any(getattr(w, "hmis_metrics", False) for w in connection.execute_wrappers):
        return
    connection.execute_wrappers.insert(0, _timed(connection.alias))


# --- Celery ------------------------------------------------------------------------------------------

_task_started: dict[str, float] = {}


def task_started(task_id=None, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _task_started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    outcome = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}.get(state, (state or "unknown").lower())
    _child(CELERY_TASKS, name, outcome).inc()
    if started is not None:
        _child(CELERY_TASK_SECONDS, name).observe(time.perf_counter() - started)


def connect_celery() -> None:
    from celery.signals import task_postrun, task_prerun, worker_init, worker_process_shutdown

    task_prerun.connect(task_started, weak=False)
    task_postrun.connect(task_finished, weak=False)
    worker_init.connect(_worker_started, weak=False)
    worker_process_shutdown.connect(_pool_process_gone, weak=False)


# --- multiprocess housekeeping -------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def clear_multiprocess_dir() -> None:
    """At a role's start, in its parent process: the files of an earlier run describe processes long gone."""
    path = multiprocess_dir()
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink(missing_ok=True)


def process_gone(pid: int) -> None:
    if multiprocess_dir():
        _multiprocess.mark_process_dead(pid)


def _pool_process_gone(pid=None, **kwargs) -> None:
    process_gone(pid or os.getpid())


def _worker_started(**kwargs) -> None:
    clear_multiprocess_dir()
    if settings.METRICS_WORKER_PORT:
        try:
            serve_worker_metrics(settings.METRICS_WORKER_ADDRESS, settings.METRICS_WORKER_PORT)
        except OSError as exc:  # the port taken (another worker on this host): run, unscraped, and say so
            log.error("worker metrics not served on port %s: %s", settings.METRICS_WORKER_PORT, exc)


# --- exposition and who may read it ------------------------------------------------------------------


class _ThisProcess:
    def collect(self):
        yield from REGISTRY.collect()


def exposition(*collectors) -> bytes:
    """Every family this role recorded (all its processes), then the given scrape-time collectors."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        _multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


def may_read(remote_addr: str | None, authorization: str | None) -> bool:
    """METRICS_TOKEN as a bearer token from anywhere, or no token from METRICS_ALLOWED_NETWORKS."""
    token = settings.METRICS_TOKEN
    if token and authorization:
        scheme, _, given = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS)


def metrics_wsgi_app(*collectors):
    """The worker's /metrics (it has no Django views): the same rule as the web's."""

    def app(environ, start_response):
        if environ.get("PATH_INFO", "/") not in ("/", "/metrics"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if not may_read(environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION")):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"forbidden\n"]
        body = exposition(*collectors)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve_worker_metrics(address: str, port: int) -> threading.Thread:
    """Serve the worker's metrics from its parent process (a daemon thread); the pool records into files."""
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    class Threaded(WSGIServer):
        daemon_threads = True

    server = make_server(address, port, metrics_wsgi_app(), server_class=Threaded, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, name="hmis-metrics", daemon=True)
    thread.start()
    log.info("worker metrics on http://%s:%s/metrics", address, port)
    return thread
