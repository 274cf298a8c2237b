"""How fresh the read side is: the one definition every answer, page, summary and status check uses.

Every refresh records `refreshed_at` (when its snapshot was taken) and `fresh_as_of` (the latest moment
the projection was known to hold every committed write; the sweep moves it on while nothing changes).
Staleness is the time since `fresh_as_of`.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def stale_seconds(fresh_as_of) -> float | None:
    """Seconds since `fresh_as_of` (a datetime; None when never known fresh), to a tenth."""
    if not fresh_as_of:
        return None
    return round(max(0.0, (timezone.now() - fresh_as_of).total_seconds()), 1)


def answer(refreshed_at, fresh_as_of) -> dict:
    """The freshness fields every report answer carries."""
    return {
        "refreshed_at": refreshed_at.isoformat() if refreshed_at else None,
        "fresh_as_of": fresh_as_of.isoformat() if fresh_as_of else None,
        "stale_seconds": stale_seconds(fresh_as_of),
    }


def _moment(value):
    return parse_datetime(value) if isinstance(value, str) else value


def combined(parts) -> tuple:
    """(refreshed_at, fresh_as_of) of something built from `parts` (dicts with those keys, as datetimes or
    ISO text): the latest refresh; complete only when every part is, so the oldest part's fresh_as_of, or
    None when a part was never fresh."""
    fresh = [_moment(p.get("fresh_as_of")) for p in parts]
    refreshed = [moment for p in parts if (moment := _moment(p.get("refreshed_at")))]
    return (max(refreshed) if refreshed else None), (min(fresh) if fresh and all(fresh) else None)


def built_today(meta: dict) -> bool:
    """Was this Redis summary built today? (Its "today" and its ages are yesterday's otherwise.)"""
    return meta.get("built_on") == timezone.localdate().isoformat()


def summary_usable(meta: dict) -> bool:
    """May a Redis summary answer? Built today and confirmed fresh within PROJECTION_MAX_STALE_SECONDS;
    else the views answer."""
    seconds = stale_seconds(_moment(meta.get("fresh_as_of") or ""))
    return built_today(meta) and seconds is not None and seconds <= settings.PROJECTION_MAX_STALE_SECONDS


def warn(answer: dict | None) -> bool:
    """Should a page warn that this answer's figures may be out of date (REPORT_STALE_WARNING_SECONDS)?"""
    return bool(answer) and (answer.get("stale_seconds") or 0) > settings.REPORT_STALE_WARNING_SECONDS
