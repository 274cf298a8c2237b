"""OpenTelemetry tracing, off unless OTEL_TRACES_EXPORTER names an exporter (otlp, console).

Everything else is the standard OTEL_* variables, read by the SDK itself: OTEL_SERVICE_NAME,
OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS), OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (say
parentbased_traceidratio and 0.1). Instrumented: Django (requests), Celery (publish and run, so a trace goes on
from the request that committed a write, through the outbox relay, into the worker's refresh), Redis, and
the database's statements.

What an unsampled request costs matters more than what a sampled one does (at 10 % sampling, nine in ten
requests are unsampled). The psycopg instrumentation starts a (non-recording) span, parses the statement and
swaps the context for every statement, sampled or not: tens of microseconds on statements that themselves
take 50. So statements get their spans from our own execute wrapper (`statement_span`, called by
core.metrics for every statement Django runs), and only inside a recording span: one context lookup
otherwise. Redis commands go straight to the uninstrumented method outside a recording span
(`_redis_only_when_recording`). Statements a connection runs while it opens (before Django's execute
wrappers) are not traced.

What spans may carry: the database system, server and our alias (hmis.db.alias); statements with their
placeholders, never their parameters; Redis commands without their
arguments (the instrumentation's own sanitising); request URLs without their query strings (a search for a
patient's name must not end up in a trace store).
"""

import logging
import os
from contextlib import nullcontext

log = logging.getLogger("hmis.tracing")

URL_ATTRIBUTES = ("http.url", "url.full", "http.target")
QUERY_ATTRIBUTES = ("url.query",)

_configured: list = []


def enabled() -> bool:
    return os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower() not in ("", "none")


def _privacy():
    """A span processor: URLs cut at the query string, on every span as it starts."""
    from opentelemetry.sdk.trace import SpanProcessor

    class Privacy(SpanProcessor):
        def on_start(self, span, parent_context=None):
            strip_query(span)

    return Privacy()


def strip_query(span, *args) -> None:
    # Unsampled requests get a NonRecordingSpan: nothing recorded, nothing to strip (and no attributes).
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for key in URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
    for key in QUERY_ATTRIBUTES:
        if attributes.get(key):
            span.set_attribute(key, "")


def configure(exporter=None, *, service_name: str = "hmis", sampler=None) -> bool:
    """Set up the provider and the instrumentations once per process. `exporter` (tests: the SDK's
    InMemorySpanExporter) overrides OTEL_TRACES_EXPORTER; without either, nothing is done. `sampler` (tests)
    overrides OTEL_TRACES_SAMPLER."""
    if _configured or (exporter is None and not enabled()):
        return bool(_configured)
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(
        sampler=sampler, resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    )
    provider.add_span_processor(_privacy())
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        kind = os.environ["OTEL_TRACES_EXPORTER"].strip().lower()
        if kind == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if exporter is None:  # a test's provider stays its own (set_tracer_provider works once per process)
        trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider, request_hook=strip_query)
    CeleryInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    _redis_only_when_recording()
    _configured.append(provider)
    log.info("tracing on (%s)", "in memory" if exporter is not None else os.environ["OTEL_TRACES_EXPORTER"])
    return True


def unconfigure() -> None:
    """Tests only: the instrumentations off again, the provider flushed and forgotten."""
    if not _configured:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    _redis_always()
    for instrumentor in (DjangoInstrumentor, CeleryInstrumentor, RedisInstrumentor):
        instrumentor().uninstrument()
    _configured.pop().shutdown()


# Redis's instrumented methods, and what we put in front of them (the instrumentor wraps these with wrapt).
_REDIS_METHODS = (("redis.client", "Redis", "execute_command"), ("redis.client", "Pipeline", "execute"))
_redis_fronted: list = []


def _redis_only_when_recording() -> None:
    """In front of each method the Redis instrumentation wrapped: the original method unless a recording span
    is current (the instrumentation starts a span and formats the command for every call, sampled or not)."""
    import importlib

    from opentelemetry import trace

    for module_name, class_name, method in _REDIS_METHODS:
        cls = getattr(importlib.import_module(module_name), class_name)
        instrumented = cls.__dict__.get(method)
        original = getattr(instrumented, "__wrapped__", None)
        if original is None:  # not wrapped (another redis version): leave it as the instrumentation made it
            continue

        def fronted(self, *args, _instrumented=instrumented, _original=original, **kwargs):
            if trace.get_current_span().is_recording():
                return _instrumented.__get__(self, type(self))(*args, **kwargs)
            return _original(self, *args, **kwargs)

        setattr(cls, method, fronted)
        _redis_fronted.append((cls, method, instrumented))


def _redis_always() -> None:
    """Undo `_redis_only_when_recording` (before the instrumentation itself is undone)."""
    while _redis_fronted:
        cls, method, instrumented = _redis_fronted.pop()
        setattr(cls, method, instrumented)


def statement_span(alias: str, sql: str, context):
    """A span for one database statement, or None when tracing is off or no recording span is current (the
    caller then runs the statement as it is). Attributes: the database system, server and name, our alias,
    the statement with its placeholders (never its parameters)."""
    if not _configured:
        return None
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind

    if not trace.get_current_span().is_recording():
        return None
    attributes = {"db.system": "postgresql", "hmis.db.alias": alias, "db.statement": sql}
    connection = getattr((context or {}).get("connection"), "connection", None)  # Django's wrapper → psycopg
    info = getattr(connection, "info", None)
    if info is not None:
        attributes.update({"server.address": info.host, "server.port": info.port, "db.name": info.dbname})
    operation = sql.lstrip().split(None, 1)[0].upper() if sql and sql.strip() else "statement"
    return (
        _configured[0]
        .get_tracer("hmis.db")
        .start_as_current_span(operation, kind=SpanKind.CLIENT, attributes=attributes, record_exception=True)
    )


def span(name: str, **attributes):
    """A span of our own (the outbox relay, a projection refresh); nothing at all when tracing is off."""
    if not _configured:
        return nullcontext()
    return _configured[0].get_tracer("hmis").start_as_current_span(name, attributes=attributes)


def current_trace_id() -> str | None:
    """The current trace's id in hex (for log lines), or None."""
    if not _configured:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
