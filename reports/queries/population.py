"""Population health: control rates and 30-day readmissions month by month, all departments or one."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from reports.projections.base import rows
from reports.projections.population_health import ALL_DEPARTMENTS, MONTHLY
from reports.queries.common import from_view

GROUPINGS = ("month", "department")
COUNTS = (
    "patients",
    "diabetes_patients",
    "diabetes_controlled",
    "diabetes_untested",
    "hypertension_patients",
    "hypertension_controlled",
    "hypertension_unmeasured",
    "discharges",
    "readmissions_30d",
)
RATES = {
    "diabetes_control_rate": ("diabetes_controlled", "diabetes_patients"),
    "hypertension_control_rate": ("hypertension_controlled", "hypertension_patients"),
    "readmission_rate": ("readmissions_30d", "discharges"),
}


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one decimal, or None when there is nobody to count."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _with_rates(row: dict) -> dict:
    out = {**row, **{c: int(row[c]) for c in COUNTS}}
    for name, (part, whole) in RATES.items():
        out[name] = rate(out[part], out[whole])
    return out


def population_health(
    *, start: datetime.date, end: datetime.date, department_id: int | None = None, group_by: str = "month"
) -> dict:
    """Months overlapping [start, end]. `series`: one row per month for the department asked (default: all
    departments, each patient once). `rows`: the same, or with group_by=department one row per month and
    department."""
    params = {"start": start.replace(day=1), "end": end, "department": department_id or ALL_DEPARTMENTS}
    columns = f"month, department_id, department_name, {', '.join(COUNTS)}"
    where = "WHERE month BETWEEN %(start)s AND %(end)s"

    def query(cursor):
        series = rows(
            cursor,
            f"SELECT {columns} FROM {MONTHLY.name} {where} AND department_id = %(department)s ORDER BY month",
            params,
        )
        series = [_with_rates(r) for r in series]
        if group_by == "department":
            found = rows(
                cursor,
                f"""SELECT {columns} FROM {MONTHLY.name} {where} AND department_id <> {ALL_DEPARTMENTS}
                    {"AND department_id = %(department)s" if department_id else ""}
                    ORDER BY month, department_name""",
                params,
            )
            table = [_with_rates(r) for r in found]
        else:
            table = series
        return {"series": series, "rows": table, "totals": None}

    header = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "department": department_id,
        "group_by": group_by,
    }
    return {**header, **from_view("population_health", query)}
