"""The hospital's usual diagnoses, from the diagnosis projections, rank first in the diagnosis picker."""

import datetime

from django.utils import timezone

from clinical import commands as clinical
from clinical.models import Diagnosis
from clinical.queries import diagnosis_suggestions
from reports.engine import refresh
from reports.queries import diagnosis_usage
from tests.support.factories.clinical import EncounterFactory
from tests.support.stack import on_stack

pytestmark = on_stack


def test_codes_used_lately_rank_first_in_the_picker_and_older_ones_do_not_count():
    for code, count in (("J15.9", 3), ("J18.1", 1)):
        for _ in range(count):
            clinical.diagnosis_record(encounter_id=EncounterFactory().pk, code=code)
    long_ago = timezone.now() - datetime.timedelta(days=500)  # before the twelve months counted
    for _ in range(5):
        Diagnosis.objects.create(
            encounter=EncounterFactory(started_at=long_ago), code_id="J12.9", description="x", recorded_at=long_ago
        )
    for name in ("diagnosis_history", "diagnosis_trends"):
        refresh.refresh(name, force=True)
    diagnosis_usage.forget()
    assert diagnosis_usage.codes_by_use() == ["J15.9", "J18.1"]
    ranked = [r["code"] for r in diagnosis_suggestions(q="pneumonia", limit=4)]
    assert ranked[:3] == ["J15.9", "J18.1", "J18.9"]  # then the everyday word's code, then relevance
    diagnosis_usage.forget()


def test_since_counts_this_month_and_the_eleven_before():
    assert diagnosis_usage.since(datetime.date(2026, 12, 2)) == datetime.date(2026, 1, 1)
    assert diagnosis_usage.since(datetime.date(2026, 3, 31)) == datetime.date(2025, 4, 1)
