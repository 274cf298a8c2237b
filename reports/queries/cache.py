"""Report answers kept in Redis per projection version: a repeated question is one Redis round trip.

A report computed from the views (a year of revenue, a year of diagnosis trends: tens of milliseconds of
SQL) is kept under its parameters together with the versions of the projections it read. Every refresh
(and every rebuild) of a projection writes a new version into its summary's meta (store.write), so an
answer kept under the versions Redis shows now holds exactly what the views would answer: nothing to
invalidate, and a refresh makes the next request compute afresh. The dashboard's summary is kept the same
way (reports/dashboard.py, from_summary in common.py).

An answer is kept only when the alias that computed it had replayed the very refreshes those versions
name (a standby a few milliseconds behind answers, but its answer is not kept). Its freshness is read
with the versions, from the same metas: the sweep keeps moving `fresh_as_of` while nothing changes.
"""

import hashlib
import json
import logging
import pickle

from django.conf import settings
from django.utils.dateparse import parse_datetime

from core.keys import projection as projection_key
from core.keys import report_answer
from reports.engine import store
from reports.engine.freshness import answer as freshness
from reports.engine.freshness import summary_usable
from reports.queries.common import view_answer

log = logging.getLogger("hmis.reports")

# Kept answers of parameters nobody asks again expire; a day also bounds what a forgotten key holds.
KEEP_SECONDS = 24 * 3600


def digest(parameters: dict) -> str:
    return hashlib.sha256(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _decoded(found: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in found.items()}


def _read(names: tuple[str, ...], key: str) -> tuple[list[dict], bytes | None]:
    """The projections' metas and the kept answer, in one round trip."""
    pipe = store.redis().pipeline(transaction=False)
    for name in names:
        pipe.hgetall(projection_key(name, store.META))
    pipe.get(key)
    *metas, kept = pipe.execute()
    return [_decoded(meta) for meta in metas], kept


def kept_view_answer(report: str, names: tuple[str, ...], parameters: dict, query) -> dict:
    """from_view(names, query), answered from Redis when an answer to the same `parameters` was kept under
    the projections' current versions; else computed from the views and kept. `report` names the
    question (with `parameters`, the key)."""
    if not settings.REPORT_ANSWER_CACHE or settings.REPORTS_LIVE:
        return view_answer(names, query)[0]
    key = report_answer(report, digest(parameters))
    try:
        metas, kept = _read(names, key)
    except Exception:  # noqa: BLE001 (Redis down: the views answer)
        log.warning("Redis unavailable for %s; reading the views", report)
        return view_answer(names, query)[0]
    versions = [meta.get("version", "") for meta in metas]
    usable = all(versions) and all(summary_usable(meta) and meta.get("refreshed_at") for meta in metas)
    if usable and kept:
        entry = pickle.loads(kept)  # noqa: S301 (written below by this code into the app's own Redis)
        if entry["versions"] == versions:
            return {**entry["data"], "source": "redis", "database": None, **_freshness(metas)}
    answer, refreshed = view_answer(names, query)
    seen = [refreshed[name].isoformat() if refreshed[name] else "" for name in names]
    if usable and seen == [meta.get("refreshed_at", "") for meta in metas]:
        data = {k: v for k, v in answer.items() if k not in _ORIGIN}
        try:
            store.redis().set(key, pickle.dumps({"versions": versions, "data": data}), ex=KEEP_SECONDS)
        except Exception:  # noqa: BLE001
            log.warning("report answer not kept in Redis", extra={"report": report})
    return answer


def _freshness(metas: list[dict]) -> dict:
    """As from_view gives it for the same projections: the oldest refresh, the least fresh_as_of."""
    return freshness(
        min(parse_datetime(meta["refreshed_at"]) for meta in metas),
        min(parse_datetime(meta["fresh_as_of"]) for meta in metas),
    )


# Where an answer came from and how fresh it is: given when it is read, never kept.
_ORIGIN = frozenset({"source", "database", "refreshed_at", "fresh_as_of", "stale_seconds"})
