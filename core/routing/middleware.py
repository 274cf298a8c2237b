"""Per-request routing: a fresh state, read-your-writes across requests, one log line per request.

Read-your-writes: when a request wrote, the primary's WAL position after its commits goes back to the
client in a signed cookie. The client's next requests read a standby only once that standby has
replayed up to it (checked per standby); until then they read the primary.
"""

import json
import logging
import time
from contextlib import ExitStack

from django.conf import settings
from django.db import DatabaseError, connections

from core import metrics
from core.routing import lsn as lsn_mod
from core.routing import positions
from core.routing.health import PROBE_MARK
from core.routing.state import unit_of_work

log = logging.getLogger("hmis.request")

COOKIE = "hmis_lsn"
COOKIE_SALT = "core.routing.read-your-writes"


def _counter(alias: str, state):
    def count(execute, sql, params, many, context):
        counts = state.probes if sql.startswith(PROBE_MARK) else state.queries
        counts[alias] = counts.get(alias, 0) + 1
        return execute(sql, params, many, context)

    return count


class RoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        cookie_lsn = lsn_mod.parse(request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT))
        with unit_of_work(min_lsn=cookie_lsn) as state, ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(_counter(alias, state)))
            response = self.get_response(request)
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
                        "probes": dict(state.probes),
                        "min_lsn": lsn_mod.format_lsn(cookie_lsn) if cookie_lsn else None,
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
