"""OpenTelemetry (issue 26): off by default; when on, a request's trace goes from the commit through the
outbox relay into the worker's refresh; database spans carry system, server and our alias; no span carries
query parameters or patient data. The web side is read from the SDK's in-memory exporter in this process;
the worker (another process) writes its spans with the console exporter into its log."""

import datetime
import json
import re
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from django.db import connections
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from clinical import commands
from core import tracing
from tests.support.stack import on_stack, wait_replayed, wait_until

pytestmark = on_stack

FAMILY = "Quixtrace"  # a name that must never appear in a span
WORKER_LOG = Path(__file__).resolve().parents[2] / ".stack" / "log" / "test-worker.log"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    connections.close_all()  # connections made from now on are the instrumented ones
    tracing.configure(exporter)
    try:
        yield exporter
    finally:
        tracing.unconfigure()
        connections.close_all()


@pytest.fixture
def unsampled_spans():
    """Tracing on, every trace unsampled (as nine in ten are at 10 % sampling)."""
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    exporter = InMemorySpanExporter()
    connections.close_all()
    tracing.configure(exporter, sampler=ALWAYS_OFF)
    try:
        yield exporter
    finally:
        tracing.unconfigure()
        connections.close_all()


@pytest.fixture
def traced_worker(monkeypatch, request):
    """The test worker with tracing on, its spans written as JSON into its log."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "hmis-worker")
    return request.getfixturevalue("celery_worker_process")


def _patient():
    return commands.patient_register(
        given_name="Zenobia", family_name=FAMILY, date_of_birth=datetime.date(1950, 1, 2), sex="female"
    )


def _post_allergy(api_as, patient, request_id: str = "") -> str:
    """A write through the API that dirties the patient alerts (and so queues their refresh)."""
    api = api_as("clinician")
    wait_replayed()
    answer = api.post(
        f"/api/v1/allergies/?note={FAMILY}",
        {"patient": patient.pk, "substance": "Aspirin", "severity": "severe"},
        format="json",
        **({"HTTP_X_REQUEST_ID": request_id} if request_id else {}),
    )
    assert answer.status_code == 201, answer.content
    return answer["X-Request-ID"]


# What a connection runs as it opens, before Django's execute wrappers (so without our alias; the span's
# server.address still says where).
CONNECTING = (
    "SELECT set_config('TimeZone'",
    "SELECT oid, typarray FROM pg_type",
    "SELECT current_setting('synchronous",
)


def _connecting(attributes) -> bool:
    return str(attributes.get("db.statement") or attributes.get("db.query.text") or "").startswith(CONNECTING)


def test_tracing_is_off_unless_an_exporter_is_named(monkeypatch):
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert not tracing.enabled()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert not tracing.enabled()
    assert tracing.current_trace_id() is None
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    assert tracing.enabled()


def test_a_write_is_traced_from_the_request_through_the_relay_with_the_alias_and_no_patient_data(spans, api_as):
    patient = _patient()
    published = []

    def remember(headers=None, **kwargs):
        published.append(dict(headers or {}))

    before_task_publish.connect(remember, weak=False)
    try:
        _post_allergy(api_as, patient)
    finally:
        before_task_publish.disconnect(remember)
    finished = spans.get_finished_spans()
    server = [s for s in finished if s.kind == SpanKind.SERVER and s.attributes.get("http.method") == "POST"]
    assert len(server) == 1, [s.name for s in finished]
    trace_id = server[0].context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]

    statements = [s for s in in_trace if s.attributes.get("db.system") == "postgresql"]
    assert statements, [s.name for s in in_trace]
    assert {s.attributes.get("hmis.db.alias") for s in statements} >= {"default"}
    assert all(s.attributes.get("hmis.db.alias") or _connecting(s.attributes) for s in statements)
    assert all(s.attributes.get("server.address") or s.attributes.get("net.peer.name") for s in statements)

    relay = [s for s in in_trace if s.name == "outbox.relay"]
    assert relay and "patient_alerts" in relay[0].attributes["hmis.projections"]
    # The refresh task carries the request's trace to the worker (W3C traceparent in its headers).
    parents = [h.get("traceparent", "") for h in published]
    assert any(format(trace_id, "032x") in p for p in parents), published

    # Nothing names the patient: no query string, no statement parameters, no Redis values.
    for span in finished:
        for key, value in span.attributes.items():
            assert FAMILY not in str(value), (span.name, key, value)
            assert "Aspirin" not in str(value), (span.name, key, value)


def test_an_unsampled_request_records_nothing_and_logs_no_error(unsampled_spans, api_as, caplog):
    """Nothing is recorded for an unsampled request, its statements or its Redis commands, and the request
    hook (which cuts query strings) does not fail on the non-recording span (it did: an ERROR per request)."""
    patient = _patient()
    api = api_as("clinician")
    wait_replayed()
    with caplog.at_level("WARNING"):
        answer = api.get(f"/api/v1/patients/{patient.pk}/summary/?q={FAMILY}")
        assert answer.status_code == 200, answer.content
        _post_allergy(api_as, patient)
    assert unsampled_spans.get_finished_spans() == ()
    assert not [r for r in caplog.records if r.name.startswith("opentelemetry")], caplog.text


def test_statement_spans_only_inside_a_recording_span(spans):
    from opentelemetry import trace

    assert tracing.statement_span("default", "SELECT 1", None) is None  # no span current
    unsampled = trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)
    with trace.use_span(unsampled):
        assert tracing.statement_span("default", "SELECT 1", None) is None
    with tracing.span("outer"), connections["default"].cursor() as cursor:
        cursor.execute("SELECT %s::text", [FAMILY])
    (statement,) = [s for s in spans.get_finished_spans() if s.attributes.get("db.system") == "postgresql"]
    assert statement.name == "SELECT" and statement.kind == SpanKind.CLIENT
    assert statement.attributes["hmis.db.alias"] == "default"
    assert statement.attributes["db.statement"] == "SELECT %s::text"  # placeholders, never the parameter
    assert statement.attributes["server.address"] and statement.attributes["server.port"]
    assert FAMILY not in str(dict(statement.attributes))


def _worker_spans() -> list[dict]:
    text = WORKER_LOG.read_text()
    found, decoder = [], json.JSONDecoder()
    for match in re.finditer(r"^\{$", text, re.M):
        try:
            span, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        found.append(span)
    return found


def _worker_lines(event: str) -> list[dict]:
    found = []
    for text in WORKER_LOG.read_text().splitlines():
        if text.startswith("{") and f'"event":"{event}"' in text:
            found.append(json.loads(text))
    return found


def _alerts_settled() -> bool:
    """No refresh of the patient alerts pending or queued: the next write's relay queues its own (one
    already queued would take the write along, in its own trace: refreshes coalesce)."""
    from django_redis import get_redis_connection

    from core.events.outbox import _queued_flag
    from reports.engine.refresh import dirty

    with connections["default"].cursor() as cursor:
        pending = dirty(cursor, "patient_alerts")[0]
    return not pending and not get_redis_connection("default").exists(_queued_flag("patient_alerts"))


def test_the_trace_reaches_the_workers_refresh(spans, api_as, traced_worker):
    patient = _patient()
    wait_until(_alerts_settled, timeout=60, message="the worker to catch up with the set-up's writes")
    request_id = _post_allergy(api_as, patient, request_id="obs-trace-1")
    assert request_id == "obs-trace-1"  # the caller's (a proxy's) id is kept and returned
    server = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    trace_hex = "0x" + format(server[-1].context.trace_id, "032x")

    def refreshed():
        """The refresh span, once the task's span (which ends after it) is written too."""
        in_trace = [s for s in _worker_spans() if s["context"]["trace_id"] == trace_hex]
        if any(s["name"] == "run/reports.refresh_projection" for s in in_trace):
            return [s for s in in_trace if s["name"] == "projection.refresh"]
        return None

    refresh = wait_until(refreshed, timeout=60, message="the worker's task and refresh spans in the request's trace")
    assert refresh[0]["attributes"]["hmis.projection"] == "patient_alerts"
    worker_spans = [s for s in _worker_spans() if s["context"]["trace_id"] == trace_hex]
    names = {s["name"] for s in worker_spans}
    assert {"run/reports.refresh_projection", "projection.refresh"} <= names  # Celery's task span, ours
    worker_statements = [s["attributes"] for s in worker_spans if s["attributes"].get("db.system") == "postgresql"]
    assert {a.get("hmis.db.alias") for a in worker_statements} >= {"default"}  # refreshes run on the primary
    assert all(a.get("hmis.db.alias") or _connecting(a) for a in worker_statements)
    assert all(a.get("server.address") or a.get("net.peer.name") for a in worker_statements)
    assert FAMILY not in json.dumps(worker_spans)

    # The worker's JSON log lines: the task and the refresh name the request that caused them, and its trace.
    trace_id = trace_hex[2:]
    tasks = [t for t in _worker_lines("task") if t.get("request_id") == request_id]
    assert tasks and tasks[0]["task"] == "reports.refresh_projection" and tasks[0]["outcome"] == "succeeded"
    assert tasks[0]["trace_id"] == trace_id and tasks[0]["queries"].get("default", 0) > 0
    assert tasks[0]["query_ms"]["default"] > 0 and tasks[0]["level"] == "INFO"
    refreshes = [r for r in _worker_lines("refresh") if r.get("request_id") == request_id]
    assert {r["projection"] for r in refreshes} >= {"patient_alerts"}
    assert all(r["trace_id"] == trace_id for r in refreshes)
