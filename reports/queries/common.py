"""Shared by every report query: freshness, Redis first when warm, else the view where reads go.

With REPORTS_LIVE (the benchmark's "before CQRS" side, bench/hospital_day_run.py) no summary answers and
every view read runs on the primary with the views replaced by their defining SELECTs (reports/queries/
live.py): the same report SQL, computed live from the write tables.
"""

import logging

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.routing.router import read_alias
from reports.engine import store
from reports.engine.freshness import answer as freshness
from reports.engine.freshness import summary_usable
from reports.models import ProjectionState
from reports.queries import live

log = logging.getLogger("hmis.reports")


# (projection, what was built) -> (summary version, the answer built from it)
_built: dict[tuple[str, tuple], tuple[str, object]] = {}


def from_summary(name: str, parts: tuple[str, ...], build, *, top: int = 0, key: tuple = ()) -> tuple | None:
    """(meta, build(found)) from the projection's Redis summary when it may answer, else None (the caller
    reads the views). `found` is store.read's answer. What `build` makes is kept by this process, per `key`,
    until the summary is rewritten (its meta's version changes): a warm read is one small round trip.
    Callers must not change what they get."""
    if settings.REPORTS_LIVE:
        return None
    try:
        meta = store.read_meta(name)
        if not summary_usable(meta):
            return None
        kept = _built.get((name, key))
        if kept and kept[0] == meta.get("version"):
            return meta, kept[1]
        found = store.read(name, *parts, top=top)
    except Exception:  # noqa: BLE001 (Redis down: the views answer)
        log.warning("Redis unavailable for %s; reading the view", name)
        return None
    meta = found["meta"]
    if not summary_usable(meta):
        return None
    data = build(found)
    if meta.get("version"):
        _built[(name, key)] = (meta["version"], data)
    return meta, data


def from_redis(meta: dict, data: dict) -> dict:
    fresh = freshness(parse_datetime(meta.get("refreshed_at") or ""), parse_datetime(meta["fresh_as_of"]))
    return {**data, "source": "redis", "database": None, **fresh}


def from_view(names: str | tuple[str, ...], query) -> dict:
    """Run `query(cursor)` against the views where the router sends reads, with that alias's freshness.

    A report read from several projections (recent + history) is as fresh as the least fresh of them.
    """
    return view_answer(names, query)[0]


def view_answer(names: str | tuple[str, ...], query) -> tuple[dict, dict]:
    """(from_view's answer, {projection: its refreshed_at on the alias that answered, None if never}):
    which refresh of each projection the answer was computed from."""
    names = (names,) if isinstance(names, str) else names
    if settings.REPORTS_LIVE:
        with connections["default"].cursor() as cursor:
            data = query(live.Cursor(cursor))
        now = timezone.now()
        return {**data, "source": "live", "database": "default", **freshness(now, now)}, dict.fromkeys(names, now)
    alias = read_alias()
    states = list(ProjectionState.objects.using(alias).filter(name__in=names))
    with connections[alias].cursor() as cursor:
        data = query(cursor)
    if len(states) == len(names):
        oldest = min(states, key=lambda s: s.fresh_as_of or timezone.now())
        fresh = freshness(min(s.refreshed_at for s in states), oldest.fresh_as_of)
    else:
        fresh = freshness(None, None)
    refreshed = dict.fromkeys(names) | {s.name: s.refreshed_at for s in states}
    return {**data, "source": "materialized_view", "database": alias, **fresh}, refreshed
