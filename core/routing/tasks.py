"""Read-your-writes for Celery: a task published after a write carries the LSN it must see.

Publishing side (`before_task_publish`): if the publishing unit of work wrote, the header holds the
primary's LSN; if it is still inside a transaction (the commit is yet to come, so no LSN covers it) the
task is pinned to the primary; otherwise the publisher's own requirement is passed on.
Worker side (`RoutedTask`): each run gets a fresh routing state with that requirement.
"""

from celery import Task
from django.db import DatabaseError, connections

from core.routing import lsn as lsn_mod
from core.routing import state
from core.routing.state import PRIMARY_ONLY

HEADER = "hmis_min_lsn"


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


class RoutedTask(Task):
    def __call__(self, *args, **kwargs):
        request = self.request
        value = getattr(request, HEADER, None) or (request.headers or {}).get(HEADER)
        with state.unit_of_work(min_lsn=parse_header(value)):
            return super().__call__(*args, **kwargs)
