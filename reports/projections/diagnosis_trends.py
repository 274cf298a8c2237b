"""Diagnosis trends: diagnoses per month x ICD-10-CM code (with block and chapter) x department."""

from django.utils import timezone

from reports.projections.base import Projection, View, rows

MONTHLY = View(
    name="reports_diagnosis_monthly",
    select="""
SELECT date_trunc('month', d.recorded_at AT TIME ZONE 'UTC')::date AS month, d.icd10_code AS code,
       c.description, c.block, c.chapter, c.chapter_title, e.department_id, dep.name AS department_name,
       count(*) AS diagnoses, count(DISTINCT e.patient_id) AS patients
FROM clinical_diagnosis d
JOIN clinical_encounter e ON e.id = d.encounter_id
JOIN clinical_icd10code c ON c.code = d.icd10_code
JOIN clinical_department dep ON dep.id = e.department_id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
""",
    unique=("month", "code", "department_id"),
    indexes=(("code",), ("department_id",)),
)

TOP = 10


class DiagnosisTrends(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        month = timezone.localdate().replace(day=1)
        top = rows(
            cursor,
            f"""SELECT code, max(description) AS description, sum(diagnoses) AS n FROM {MONTHLY.name}
                WHERE month = %s GROUP BY code ORDER BY n DESC, code LIMIT {TOP}""",
            [month],
        )
        return {
            "top": {row["code"]: int(row["n"]) for row in top},  # a sorted set: code -> count
            "descriptions": {row["code"]: row["description"] for row in top},
            "summary": {"month": month.isoformat()},
        }


PROJECTION = DiagnosisTrends(
    name="diagnosis_trends",
    title="Diagnosis trends",
    views=(MONTHLY,),
    sources=("clinical.Diagnosis", "clinical.Encounter", "clinical.Department"),
)
