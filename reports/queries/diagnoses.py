"""Diagnosis trends: the top ICD-10-CM codes over a date range, per month or quarter, optionally per department."""

import datetime

from reports.projections.base import rows
from reports.projections.diagnosis_trends import BOTH
from reports.queries.cache import kept_view_answer

PERIODS = ("month", "quarter")


def diagnosis_trends(
    *,
    start: datetime.date,
    end: datetime.date,
    period: str = "month",
    department_id: int | None = None,
    top: int = 10,
) -> dict:
    """Months overlapping [start, end] (the view counts per calendar month)."""
    params = {"start": start.replace(day=1), "end": end, "period": period, "department": department_id, "top": top}
    where = "WHERE month BETWEEN %(start)s AND %(end)s" + (
        " AND department_id = %(department)s" if department_id is not None else ""
    )

    source = BOTH

    def query(cursor):
        leaders = rows(
            cursor,
            f"""SELECT code, max(description) AS description, max(block) AS block, max(chapter) AS chapter,
                       max(chapter_title) AS chapter_title, sum(diagnoses)::int AS diagnoses
                FROM {source} {where} GROUP BY code ORDER BY diagnoses DESC, code LIMIT %(top)s""",
            params,
        )
        codes = [row["code"] for row in leaders]
        series = rows(
            cursor,
            f"""SELECT date_trunc(%(period)s, month)::date AS period, code, sum(diagnoses)::int AS diagnoses
                FROM {source} {where} AND code = ANY(%(codes)s) GROUP BY 1, 2 ORDER BY 1, 2""",
            {**params, "codes": codes},
        )
        (total,) = rows(cursor, f"SELECT COALESCE(sum(diagnoses), 0)::int AS diagnoses FROM {source} {where}", params)
        departments = rows(
            cursor,
            f"SELECT DISTINCT department_id AS id, department_name AS name FROM {source} ORDER BY 2",
            params,
        )
        totals = {"diagnoses": total["diagnoses"]}  # every code's, not only the leaders in the rows
        return {"rows": leaders, "totals": totals, "series": series, "departments": departments}

    header = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "period": period,
        "department": department_id,
        "top": top,
    }
    names = ("diagnosis_trends", "diagnosis_history")
    return {**header, **kept_view_answer("diagnosis-trends", names, header, query)}
