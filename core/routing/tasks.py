"""Read-your-writes for Celery: a task published after a write carries the LSN it must see.

Publishing side (`before_task_publish`): if the publishing unit of work wrote, the header holds the
primary's LSN; if it is still inside a transaction (the commit is yet to come, so no LSN covers it) the
task is pinned to the primary; otherwise the publisher's own requirement is passed on.
Worker side (`RoutedTask`): each run gets a fresh routing state with that requirement.
"""

import logging
import time

from celery import Task
from django.db import DatabaseError, connections

from core import logs
from core.routing import lsn as lsn_mod
from core.routing import state
from core.routing.state import PRIMARY_ONLY

HEADER = "hmis_min_lsn"

log = logging.getLogger("hmis.task")


def lsn_header_for_publish() -> str | None:
    current = state.current()
    if current.wrote:
        if connections["default"].in_atomic_block:
            return "primary"
        try:
            return lsn_mod.format_lsn(lsn_mod.primary_lsn())
        except DatabaseError:
            return "primary"
    if current.min_lsn == PRIMARY_ONLY:
        return "primary"
    if current.min_lsn is not None:
        return lsn_mod.format_lsn(current.min_lsn)
    return None


def add_lsn_header(headers=None, **_kwargs) -> None:
    if headers is None or HEADER in headers:
        return
    value = lsn_header_for_publish()
    if value is not None:
        headers[HEADER] = value


def parse_header(value: str | None) -> int | None:
    if value == "primary":
        return PRIMARY_ONLY
    return lsn_mod.parse(value)


def _header(request, name: str):
    return getattr(request, name, None) or (request.headers or {}).get(name)


class RoutedTask(Task):
    """Each run in a unit of work of its own (the LSN its publisher's write needs), and one JSON log line
    per run with the request id that published it, the trace id, and the statements per alias."""

    def __call__(self, *args, **kwargs):
        request = self.request
        started, outcome = time.perf_counter(), "failed"
        token = logs.REQUEST_ID.set(_header(request, logs.TASK_HEADER) or request.id)
        try:
            with state.unit_of_work(min_lsn=parse_header(_header(request, HEADER))) as unit:
                try:
                    result = super().__call__(*args, **kwargs)
                    outcome = "succeeded"
                    return result
                finally:
                    log.info(
                        logs.line(
                            "task",
                            task=self.name,
                            task_id=request.id,
                            outcome=outcome,
                            ms=round((time.perf_counter() - started) * 1000, 1),
                            queries=dict(unit.queries),
                            query_ms={alias: round(ms, 1) for alias, ms in unit.query_ms.items()},
                            read_from=unit.read_from,
                            min_lsn=_header(request, HEADER),
                        )
                    )
        finally:
            logs.REQUEST_ID.reset(token)
