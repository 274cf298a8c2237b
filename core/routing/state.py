"""What the current unit of work (a request, a Celery task) has done, for the router to decide.

Kept in a ContextVar, not a thread-local, so it is right under threads, async views and Celery alike.
Outside any unit of work (shell, management commands) a fresh state is created lazily per context.
"""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

# Sentinel for "this unit of work must read the primary" (e.g. a task published inside a transaction).
PRIMARY_ONLY = -1


@dataclass
class RoutingState:
    # The WAL position the reader must see (from the client's cookie or the task header), or None: read it
    # as `min_lsn`, which first runs a deferred lookup (require_lsn_when_needed).
    _min_lsn: int | None = None
    # True once anything in this unit of work asked for the write alias: later reads go to the primary.
    wrote: bool = False
    # Where this unit of work reads once chosen (a standby, or the primary when none had caught up): reads
    # stick to it, so one request sees one consistent state and probes each standby at most once.
    read_from: str | None = None
    # Queries served per alias, for the request log line; the router's own health probes apart.
    queries: dict[str, int] = field(default_factory=dict)
    probes: dict[str, int] = field(default_factory=dict)
    # Milliseconds spent in statements per alias (probes apart), for the log lines.
    query_ms: dict[str, float] = field(default_factory=dict)
    # Who is asking, when known and not a browser session (an API client): their position is kept server-side.
    identity: str | None = None
    _deferred: list[Callable[[], int | None]] = field(default_factory=list, repr=False)

    @property
    def min_lsn(self) -> int | None:
        while self._deferred:
            self.require_lsn(self._deferred.pop()())
        return self._min_lsn

    def require_lsn(self, lsn: int | None) -> None:
        if lsn is None or self._min_lsn == PRIMARY_ONLY:
            return
        if lsn == PRIMARY_ONLY or self._min_lsn is None or lsn > self._min_lsn:
            self._min_lsn = lsn
            self.read_from = None  # a stricter requirement: choose again

    def require_lsn_when_needed(self, lookup: Callable[[], int | None]) -> None:
        """require_lsn(lookup()), with the lookup (a Redis read) made only when something asks for min_lsn:
        a read that might go to a standby, a task published. A request answered from Redis alone skips it."""
        self._deferred.append(lookup)


_current: ContextVar[RoutingState | None] = ContextVar("hmis_routing_state", default=None)


def current() -> RoutingState:
    state = _current.get()
    if state is None:
        state = RoutingState()
        _current.set(state)
    return state


@contextmanager
def unit_of_work(min_lsn: int | None = None):
    """A fresh routing state for one request or task; the previous one is restored afterwards."""
    state = RoutingState()
    state.require_lsn(min_lsn)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)
