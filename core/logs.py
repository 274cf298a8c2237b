"""Structured logs: one JSON object per line on every process (web, worker, beat), each with the request id
and the trace id of what it belongs to.

The events (a request, a task, a refresh) are logged as JSON text by the code that knows them; the formatter
adds time, level, logger, request_id and trace_id, and wraps any other message as {"message": ...}. A task
carries the request id of the request that published it (header hmis_request_id), so a refresh's line
names the request whose write it follows.
"""

import datetime
import json
import logging
import re
import uuid
from contextvars import ContextVar

from core import tracing

REQUEST_ID: ContextVar[str | None] = ContextVar("hmis_request_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "hmis_request_id"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_from(value: str | None) -> str:
    """The caller's id when it looks like one (a proxy's X-Request-ID), else a new one."""
    return value if value and _VALID_ID.fullmatch(value) else uuid.uuid4().hex


def line(event: str, **fields) -> str:
    return json.dumps({"event": event, **fields}, separators=(",", ":"), default=str)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        body = None
        if message.startswith("{"):
            try:
                body = json.loads(message)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            body = {"message": message}
        out = {
            "ts": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            **body,
        }
        request_id, trace_id = REQUEST_ID.get(), tracing.current_trace_id()
        if request_id and "request_id" not in out:
            out["request_id"] = request_id
        if trace_id and "trace_id" not in out:
            out["trace_id"] = trace_id
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, separators=(",", ":"), default=str)


def json_celery_handlers(logger=None, **kwargs) -> None:
    """Celery's after_setup_logger / after_setup_task_logger: its handlers write our JSON lines too."""
    for handler in getattr(logger, "handlers", ()):
        handler.setFormatter(JsonFormatter())


def add_request_header(headers=None, **kwargs) -> None:
    """before_task_publish: the task carries the publishing request's id."""
    request_id = REQUEST_ID.get()
    if headers is not None and request_id and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id
