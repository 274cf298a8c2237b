"""The pieces of core/metrics.py, core/logs.py and core/tracing.py that need no server."""

import json
import logging

from django.test import override_settings

from core import logs, metrics, tracing

TOKEN = "scrape-" + "k" * 40


def test_statements_are_told_apart_by_kind():
    assert metrics.statement_kind('SELECT "clinical_patient"."id" FROM x') == "read"
    assert metrics.statement_kind("  WITH a AS (SELECT 1) SELECT * FROM a") == "read"
    assert metrics.statement_kind("INSERT INTO hmis_outboxevent VALUES (1)") == "write"
    assert metrics.statement_kind("REFRESH MATERIALIZED VIEW CONCURRENTLY x") == "write"
    assert metrics.statement_kind(metrics.PROBE_MARK + "\nSELECT pg_is_in_recovery()") == "probe"


@override_settings(METRICS_TOKEN=TOKEN, METRICS_ALLOWED_NETWORKS=["10.1.0.0/16", "::1/128"])
def test_metrics_are_read_with_the_token_or_from_an_allowed_network():
    assert metrics.may_read("10.1.2.3", None)
    assert metrics.may_read("::1", None)
    assert metrics.may_read("203.0.113.5", f"Bearer {TOKEN}")
    assert metrics.may_read("203.0.113.5", f"bearer {TOKEN}")
    assert not metrics.may_read("203.0.113.5", None)
    assert not metrics.may_read("203.0.113.5", f"Basic {TOKEN}")
    assert not metrics.may_read("203.0.113.5", "Bearer " + TOKEN[:-1])
    assert not metrics.may_read("not an address", None)


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_without_a_token_no_bearer_is_accepted():
    assert not metrics.may_read("203.0.113.5", "Bearer ")
    assert metrics.may_read("127.0.0.1", "Bearer anything")


def test_a_callers_request_id_is_kept_only_when_it_looks_like_one():
    assert logs.request_id_from("lb-1234.abc:9") == "lb-1234.abc:9"
    for bad in (None, "", "has space", "x" * 65, "semi;colon", "new\nline"):
        made = logs.request_id_from(bad)
        assert len(made) == 32 and made != bad


def test_every_record_is_one_json_line_with_the_request_id():
    token = logs.REQUEST_ID.set("req-42")
    try:
        event = logging.LogRecord("hmis.task", logging.INFO, __file__, 1, logs.line("task", task="t", ms=1.5), (), None)
        line = json.loads(logs.JsonFormatter().format(event))
        plain = logging.LogRecord("celery", logging.ERROR, __file__, 1, "lost %s", ("worker",), None)
        other = json.loads(logs.JsonFormatter().format(plain))
    finally:
        logs.REQUEST_ID.reset(token)
    assert line["event"] == "task" and line["task"] == "t" and line["request_id"] == "req-42"
    assert line["level"] == "INFO" and line["logger"] == "hmis.task" and "ts" in line
    assert other == {**other, "message": "lost worker", "level": "ERROR", "request_id": "req-42"}


def test_urls_in_spans_lose_their_query_string():
    class Span:
        attributes = {
            "http.url": "https://h/fhir/R4/Patient?family=Quixley",
            "http.target": "/p/?q=Ann",
            "url.query": "q=1",
        }

        def set_attribute(self, key, value):
            self.attributes = {**self.attributes, key: value}

        def is_recording(self):
            return True

    span = Span()
    tracing.strip_query(span)
    assert span.attributes == {"http.url": "https://h/fhir/R4/Patient", "http.target": "/p/", "url.query": ""}
