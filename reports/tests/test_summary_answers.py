"""What a web process keeps between report requests: answers built from a Redis summary, until the summary
is rewritten (reports/queries/common.py from_summary, store.write's version), and valid filter arguments,
per parameters and day (reports/filters.py valid_args)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from reports.engine import store
from reports.queries.common import from_summary
from reports.queries.summaries import revenue_today_and_month

pytestmark = pytest.mark.stack  # the summaries live in the stack's Redis


def _write_revenue(invoiced_today_cents: int) -> None:
    now = timezone.now()
    store.write(
        "revenue",
        {"summary": {"today:invoiced": invoiced_today_cents, "month:invoiced": invoiced_today_cents}},
        {"refreshed_at": now.isoformat(), "fresh_as_of": now.isoformat(), "built_on": timezone.localdate().isoformat()},
    )


def test_a_rewritten_summary_gives_the_new_answer_and_the_same_one_is_built_once():
    builds = []

    def build(found):
        builds.append(1)
        return dict(found["summary"])

    _write_revenue(1250)
    assert revenue_today_and_month()["today"]["invoiced"] == Decimal("12.50")
    assert from_summary("revenue", ("summary",), build, key=("test",))[1]["today:invoiced"] == "1250"
    assert from_summary("revenue", ("summary",), build, key=("test",))[1]["today:invoiced"] == "1250"
    assert len(builds) == 1
    _write_revenue(9900)
    assert revenue_today_and_month()["today"]["invoiced"] == Decimal("99.00")
    assert from_summary("revenue", ("summary",), build, key=("test",))[1]["today:invoiced"] == "9900"
    assert len(builds) == 2


def test_a_stale_or_missing_summary_does_not_answer():
    assert from_summary("revenue", ("summary",), dict) is None
    old = timezone.now() - datetime.timedelta(days=1)
    store.write(
        "revenue", {"summary": {"today:invoiced": 1}}, {"fresh_as_of": old.isoformat(), "built_on": "2000-01-01"}
    )
    assert from_summary("revenue", ("summary",), dict) is None


def test_valid_filter_arguments_are_kept_per_parameters_and_day(monkeypatch):
    import time_machine
    from django.http import QueryDict

    from reports import filters
    from reports.catalog.ar_aging import Filter

    built = []
    original_init = Filter.__init__

    def counting_init(self, *args, **kwargs):
        built.append(1)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(Filter, "__init__", counting_init)
    filters._valid.clear()
    with time_machine.travel("2026-03-02 08:00 +0000", tick=False) as clock:
        first = filters.valid_args(Filter, QueryDict("group_by=patient"))
        again = filters.valid_args(Filter, QueryDict("group_by=patient"))
        assert first == again and first["as_of"] == datetime.date(2026, 3, 2) and first["group_by"] == "patient"
        assert len(built) == 1
        assert filters.valid_args(Filter, QueryDict("ranges=90,30")) is None
        assert filters.valid_args(Filter, QueryDict("ranges=90,30")) is None  # never kept
        clock.move_to("2026-03-03 08:00 +0000")
        next_day = filters.valid_args(Filter, QueryDict("group_by=patient"))
        assert next_day["as_of"] == datetime.date(2026, 3, 3)
    assert len(built) == 4
