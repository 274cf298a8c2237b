"""The one freshness rule (reports/engine/freshness.py) that answers, pages, summaries and /healthz share."""

import datetime

import time_machine
from django.utils import timezone

from reports.engine import freshness

NOW = datetime.datetime(2026, 3, 4, 10, 0, tzinfo=datetime.UTC)


@time_machine.travel(NOW, tick=False)
def test_staleness_is_the_time_since_the_projection_was_last_known_complete():
    assert freshness.stale_seconds(NOW - datetime.timedelta(seconds=12.34)) == 12.3
    assert freshness.stale_seconds(NOW + datetime.timedelta(seconds=3)) == 0  # clocks a little apart
    assert freshness.stale_seconds(None) is None
    assert freshness.answer(NOW, None) == {"refreshed_at": NOW.isoformat(), "fresh_as_of": None, "stale_seconds": None}


@time_machine.travel(NOW, tick=False)
def test_a_redis_summary_answers_only_when_built_today_and_confirmed_fresh_lately(settings):
    settings.PROJECTION_MAX_STALE_SECONDS = 120
    today = timezone.localdate().isoformat()

    def meta(seconds_ago, built_on=today):
        return {"fresh_as_of": (NOW - datetime.timedelta(seconds=seconds_ago)).isoformat(), "built_on": built_on}

    assert freshness.summary_usable(meta(120))
    assert not freshness.summary_usable(meta(121))
    assert not freshness.summary_usable(meta(1, built_on="2026-03-03"))
    assert not freshness.summary_usable({"built_on": today})
    assert not freshness.summary_usable({})


def test_parts_are_as_fresh_as_the_oldest_and_unknown_while_one_was_never_fresh():
    old, new = NOW - datetime.timedelta(minutes=3), NOW
    parts = [
        {"refreshed_at": old.isoformat(), "fresh_as_of": new.isoformat()},
        {"refreshed_at": new, "fresh_as_of": old},
    ]
    assert freshness.combined(parts) == (new, old)
    assert freshness.combined([*parts, {"refreshed_at": "", "fresh_as_of": ""}]) == (new, None)
    assert freshness.combined([]) == (None, None)


def test_pages_warn_past_the_report_stale_warning(settings):
    settings.REPORT_STALE_WARNING_SECONDS = 300
    assert freshness.warn({"stale_seconds": 300.1})
    assert not freshness.warn({"stale_seconds": 300})
    assert not freshness.warn({"stale_seconds": None})
    assert not freshness.warn(None)
