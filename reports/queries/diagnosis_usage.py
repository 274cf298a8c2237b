"""How much this hospital has diagnosed each code lately: the diagnosis picker ranks its suggestions by it
(clinical.queries.diagnosis_suggestions; registered in reports/apps.py).

Read from the diagnosis projections where the router sends reads: the recent months' code totals
(`reports_diagnosis_codes`) and the history's months before them (`reports_diagnosis_monthly`). A ranking
hint, not a figure anyone reads: kept by the process for a few minutes rather than summed per keystroke.
"""

import datetime
import threading
import time

from django.db import connections
from django.utils import timezone

from core.routing.router import read_alias
from reports.projections import window
from reports.projections.diagnosis_trends import CODES, HISTORY_NAME, MONTHLY

MONTHS = 12  # "lately": this month and the eleven before it
KEEP_SECONDS = 300
LIMIT = 2000  # codes ranked; the rest count as unused

_CUTOFF = window.month_of(window.cutoff_sql(HISTORY_NAME))
USAGE_SQL = f"""
SELECT code FROM (
    SELECT code, diagnoses FROM {CODES.name} WHERE month >= %(since)s AND month >= {_CUTOFF}
    UNION ALL
    SELECT code, diagnoses FROM {MONTHLY.name} WHERE month >= %(since)s AND month < {_CUTOFF}
) used
GROUP BY code ORDER BY sum(diagnoses) DESC, code LIMIT %(limit)s
"""

_lock = threading.Lock()
_kept: dict[str, tuple[float, list[str]]] = {}


def since(today: datetime.date) -> datetime.date:
    """The first day of the earliest month counted."""
    month = today.year * 12 + today.month - 1 - (MONTHS - 1)
    return datetime.date(month // 12, month % 12 + 1, 1)


def codes_by_use() -> list[str]:
    """The codes diagnosed here in the last MONTHS months, most diagnosed first."""
    now = time.monotonic()
    kept = _kept.get("codes")
    if kept and now - kept[0] < KEEP_SECONDS:
        return kept[1]
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(USAGE_SQL, {"since": since(timezone.localdate()), "limit": LIMIT})
        codes = [code for (code,) in cursor.fetchall()]
    with _lock:
        _kept["codes"] = (now, codes)
    return codes


def forget() -> None:
    """Drop the kept ranking (tests, after writing diagnoses)."""
    _kept.clear()
