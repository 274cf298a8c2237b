"""Per-request routing: a fresh state, read-your-writes across requests, one log line per request.

Read-your-writes: when a request wrote, the primary's WAL position after its commits goes back to the
client in a signed cookie. The client's next requests read a standby only once that standby has
replayed up to it (checked per standby); until then they read the primary.
"""

import json
import logging
import time

from django.conf import settings
from django.db import DatabaseError

from core import logs, metrics, tracing
from core.routing import lsn as lsn_mod
from core.routing import positions
from core.routing.state import unit_of_work

log = logging.getLogger("hmis.request")

COOKIE = "hmis_lsn"
COOKIE_SALT = "core.routing.read-your-writes"


class RoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER))
        request.request_id = request_id
        token = logs.REQUEST_ID.set(request_id)
        try:
            return self._answer(request, started, request_id)
        finally:
            logs.REQUEST_ID.reset(token)

    def _answer(self, request, started: float, request_id: str):
        cookie_lsn = lsn_mod.parse(request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT))
        # Statements are counted into the unit of work by the execute wrapper on every connection
        # (core/metrics.py), which also times them per alias for Prometheus.
        with unit_of_work(min_lsn=cookie_lsn) as state:
            response = self.get_response(request)
            response[logs.REQUEST_ID_HEADER] = request_id
            if state.wrote:
                self._remember_position(response, state, cookie_lsn)
            elapsed = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            # The URL's name, never its path: ids (and so patients) stay out of the labels.
            view = (match.view_name or match.route) if match else "unmatched"
            metrics.observe_request(view, request.method, response.status_code, elapsed)
            log.info(
                json.dumps(
                    {
                        "event": "request",
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "wrote": state.wrote,
                        "ms": round(elapsed * 1000, 1),
                        "queries": dict(state.queries),
                        "query_ms": {alias: round(ms, 1) for alias, ms in state.query_ms.items()},
                        "probes": dict(state.probes),
                        # The position this client must see; the router never waits for it: it reads
                        # the primary until a standby has replayed it (read_from says which served).
                        "min_lsn": lsn_mod.format_lsn(cookie_lsn) if cookie_lsn else None,
                        "read_from": state.read_from,
                        "request_id": request_id,
                        "trace_id": tracing.current_trace_id(),
                    },
                    separators=(",", ":"),
                ),
                extra={"queries": dict(state.queries), "path": request.path},
            )
        return response

    def _remember_position(self, response, state, previous: int | None) -> None:
        try:
            position = lsn_mod.primary_lsn()
        except DatabaseError:
            return  # the primary is gone; the response already says what happened to the write
        if previous is not None and previous > position:
            position = previous
        if state.identity:
            positions.remember(state.identity, position)
        response.set_signed_cookie(
            COOKIE,
            lsn_mod.format_lsn(position),
            salt=COOKIE_SALT,
            max_age=settings.READ_YOUR_WRITES_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
