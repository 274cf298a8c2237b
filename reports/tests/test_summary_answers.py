"""Answers built from a Redis summary are kept by the process until the summary is rewritten
(reports/queries/common.py from_summary, store.write's version)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from reports import store
from reports.queries.common import from_summary
from reports.queries.summaries import revenue_today_and_month


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
