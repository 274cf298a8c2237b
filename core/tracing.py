"""OpenTelemetry tracing, off unless OTEL_TRACES_EXPORTER names an exporter (otlp, console).

Everything else is the standard OTEL_* variables, read by the SDK itself: OTEL_SERVICE_NAME,
OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS), OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (say
parentbased_traceidratio and 0.1). Instrumented: Django (requests), psycopg (statements), Celery (publish and
run, so a trace goes on from the request that committed a write, through the outbox relay, into the
worker's refresh) and Redis.

What spans may carry: the database system, server and our alias (hmis.db.alias); statements with their
placeholders, never their parameters (psycopg's capture_parameters stays off); Redis commands without their
arguments (the instrumentation's own sanitising); request URLs without their query strings (a search for a
patient's name must not end up in a trace store).
"""

import logging
import os
from contextlib import nullcontext
from contextvars import ContextVar

log = logging.getLogger("hmis.tracing")

# The alias of the statement being executed (set by core.metrics' execute wrapper), for hmis.db.alias.
CURRENT_ALIAS: ContextVar[str | None] = ContextVar("hmis_db_alias", default=None)
URL_ATTRIBUTES = ("http.url", "url.full", "http.target")
QUERY_ATTRIBUTES = ("url.query",)

_configured: list = []


def enabled() -> bool:
    return os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower() not in ("", "none")


def _alias_and_privacy():
    """A span processor: our alias on database spans; URLs cut at the query string (set at start)."""
    from opentelemetry.sdk.trace import SpanProcessor
    from opentelemetry.trace import SpanKind

    class AliasAndPrivacy(SpanProcessor):
        def on_start(self, span, parent_context=None):
            # psycopg's span starts inside our execute wrapper, and gets its db.* attributes only after.
            alias = CURRENT_ALIAS.get()
            if alias and span.kind == SpanKind.CLIENT:
                span.set_attribute("hmis.db.alias", alias)
            strip_query(span)

    return AliasAndPrivacy()


def strip_query(span, *args) -> None:
    attributes = span.attributes or {}
    for key in URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
    for key in QUERY_ATTRIBUTES:
        if attributes.get(key):
            span.set_attribute(key, "")


def configure(exporter=None, *, service_name: str = "hmis") -> bool:
    """Set up the provider and the instrumentations once per process. `exporter` (tests: the SDK's
    InMemorySpanExporter) overrides OTEL_TRACES_EXPORTER; without either, nothing is done."""
    if _configured or (exporter is None and not enabled()):
        return bool(_configured)
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    )
    provider.add_span_processor(_alias_and_privacy())
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
    PsycopgInstrumentor().instrument(tracer_provider=provider, capture_parameters=False, enable_commenter=False)
    CeleryInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    _configured.append(provider)
    log.info("tracing on (%s)", "in memory" if exporter is not None else os.environ["OTEL_TRACES_EXPORTER"])
    return True


def unconfigure() -> None:
    """Tests only: the instrumentations off again, the provider flushed and forgotten."""
    if not _configured:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (DjangoInstrumentor, PsycopgInstrumentor, CeleryInstrumentor, RedisInstrumentor):
        instrumentor().uninstrument()
    _configured.pop().shutdown()


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
