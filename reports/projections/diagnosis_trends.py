"""Diagnosis trends: diagnoses per month x ICD-10-CM code (with block and chapter) x department.

Two projections of the same shape (reports/projections/window.py): `diagnosis_trends` holds the months
from the history's cutoff on (usually this month) and follows every write; `diagnosis_history` holds
every month and is refreshed for changes dated before today, and nightly. `diagnosis_trends` also keeps
those recent months' totals per code (CODES), in order, for "this month's leading codes".
"""

import json

from django.utils import timezone

from reports.projections import window
from reports.projections.base import NIGHTLY, SUMMARY, VIEWS, DashboardFields, Projection, View, rows

HISTORY_NAME = "diagnosis_history"

_MONTHLY = """
SELECT date_trunc('month', d.recorded_at AT TIME ZONE 'UTC')::date AS month, d.icd10_code AS code,
       c.description, c.block, c.chapter, c.chapter_title, e.department_id, dep.name AS department_name,
       count(*) AS diagnoses
FROM clinical_diagnosis d
JOIN clinical_encounter e ON e.id = d.encounter_id
JOIN clinical_icd10code c ON c.code = d.icd10_code
JOIN clinical_department dep ON dep.id = e.department_id{since}
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""

MONTHLY = View(
    name="reports_diagnosis_monthly",
    select=_MONTHLY.replace("{since}", ""),
    unique=("month", "code", "department_id"),
    indexes=(("month",), ("code",), ("department_id",)),
    held=f"month < {window.month_of(window.cutoff_sql(HISTORY_NAME))}",
)
RECENT = View(
    name="reports_diagnosis_recent",
    select=_MONTHLY.replace("{since}", f"\nWHERE d.recorded_at >= {window.month_of(window.cutoff_sql(HISTORY_NAME))}"),
    unique=("month", "code", "department_id"),
    indexes=(("month",),),
)
# Every month, from both views.
BOTH = f"{window.union(MONTHLY.name, RECENT.name, 'month', HISTORY_NAME, monthly=True)} AS monthly"
# The recent months' totals per code over every department, in order: a month's leading codes are the
# first entries of one index (the dashboard's and the report's question) instead of an aggregate of
# every code x department row of the month.
CODES = View(
    name="reports_diagnosis_codes",
    select=f"""SELECT month, code, max(description) AS description, sum(diagnoses)::bigint AS diagnoses
               FROM {RECENT.name} GROUP BY month, code""",
    unique=("month", "code"),
    indexes=(("month", "diagnoses DESC", "code"),),
)


def month_top_sql() -> str:
    """SQL: the %(month)s's %(limit)s most frequent codes (code, description, diagnoses) over every
    department, from the code totals when the month is recent, else from the history."""
    cutoff = window.month_of(window.cutoff_sql(HISTORY_NAME))
    return f"""(SELECT code, description, diagnoses FROM {CODES.name}
                WHERE month = %(month)s AND month >= {cutoff} ORDER BY diagnoses DESC, code LIMIT %(limit)s)
               UNION ALL
               (SELECT code, max(description), sum(diagnoses)::bigint FROM {MONTHLY.name}
                WHERE month = %(month)s AND month < {cutoff} GROUP BY code ORDER BY 3 DESC, code LIMIT %(limit)s)
               ORDER BY diagnoses DESC, code LIMIT %(limit)s"""


TOP = 10


class DiagnosisTrends(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        month = timezone.localdate().replace(day=1)
        top = rows(cursor, month_top_sql(), {"month": month, "limit": TOP})
        return {
            "top": {row["code"]: int(row["diagnoses"]) for row in top},  # a sorted set: code -> count
            "descriptions": {row["code"]: row["description"] for row in top},
            "summary": {"month": month.isoformat()},
        }


SOURCES = ("clinical.Diagnosis", "clinical.Encounter", "clinical.Department")


# Saves that leave the view's rows as they are: closing an encounter, resolving a diagnosis.
UNSEEN_FIELDS = frozenset({"status", "ended_at", "resolved_at"})


def _dated_before_today(source: str, instance, update_fields, created=False) -> bool:
    if update_fields is not None and set(update_fields) <= UNSEEN_FIELDS:
        return False
    if source == "clinical.diagnosis":
        return window.before_today(instance.recorded_at)
    if source == "clinical.encounter":  # its diagnoses are recorded after it starts
        return window.before_today(instance.started_at)
    return not created  # a renamed department is on every month; a new one on none


DASHBOARD_TOP = 5


def _dashboard(found) -> dict[str, str]:
    descriptions = found["descriptions"]
    top = [{"code": c, "count": n, "description": descriptions.get(c, "")} for c, n in found["top"]]
    return {"top_diagnoses": json.dumps(top)}


PROJECTION = DiagnosisTrends(
    name="diagnosis_trends",
    title="Diagnosis trends",
    views=(RECENT, CODES),
    sources=SOURCES,
    calendar=SUMMARY,  # this month's leading codes
    dashboard=DashboardFields(_dashboard, parts=("descriptions",), top=DASHBOARD_TOP),
    functions=(window.CUTOFF,),
)
HISTORY = Projection(
    name=HISTORY_NAME,
    title="Diagnosis trends (history)",
    views=(MONTHLY,),
    sources=SOURCES,
    wants=_dated_before_today,
    then="diagnosis_trends",
    reconcile=NIGHTLY,  # 3 years of diagnoses: ~9 s live at 1.2M
    min_interval=60,
    calendar=VIEWS,  # yesterday moves in from the recent view
    functions=(window.CUTOFF,),
)
