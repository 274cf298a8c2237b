"""Census: open encounters per department and type (the dashboard's "open encounters")."""

from reports.projections.base import DashboardFields, Projection, View, rows

OPEN_ENCOUNTERS = View(
    name="reports_open_encounters",
    select="""
SELECT e.department_id, dep.name AS department_name, e.type, count(*) AS open_encounters
FROM clinical_encounter e JOIN clinical_department dep ON dep.id = e.department_id
WHERE e.status = 'open'
GROUP BY e.department_id, dep.name, e.type
""",
    unique=("department_id", "type"),
)


class Census(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        summary = {"open:total": 0}
        for row in rows(cursor, f"SELECT type, sum(open_encounters) AS n FROM {OPEN_ENCOUNTERS.name} GROUP BY type"):
            summary[f"open:{row['type']}"] = int(row["n"])
            summary["open:total"] += int(row["n"])
        return {"summary": summary}


PROJECTION = Census(
    name="census",
    title="Census",
    views=(OPEN_ENCOUNTERS,),
    sources=("clinical.Encounter",),
    dashboard=DashboardFields(lambda found: {"open_encounters": found["summary"].get("open:total", "0")}),
)
