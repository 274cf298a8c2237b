"""Population health: control rates and 30-day readmissions month by month, all departments or one, by
age group, sex or area, or any of them narrowed to one value."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from reports.projections.base import rows
from reports.projections.population_health import ALL_DEPARTMENTS, MONTHLY
from reports.queries.common import from_view

GROUPINGS = ("month", "department", "age_group", "sex", "area")
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
    *,
    start: datetime.date,
    end: datetime.date,
    department_id: int | None = None,
    group_by: str = "month",
    age_group: str = "",
    sex: str = "",
    area: str = "",
) -> dict:
    """Months overlapping [start, end], of the patients matching the filters (a department, an age group, a
    sex, an area). `series`: one row per month (each patient once whatever departments saw them, unless one
    is asked). `rows`: the same, or one row per month and department / age group / sex / area."""
    params = {
        "start": start.replace(day=1),
        "end": end,
        "department": department_id or ALL_DEPARTMENTS,
        "age_group": age_group,
        "sex": sex,
        "area": area.upper(),
    }
    sums = ", ".join(f"sum({c})::bigint AS {c}" for c in COUNTS)
    where = "month BETWEEN %(start)s AND %(end)s" + "".join(
        f" AND {name} = %({name})s" for name in ("age_group", "sex", "area") if params[name]
    )

    def query(cursor):
        series = rows(
            cursor,
            f"""SELECT month, department_id, max(department_name) AS department_name, {sums}
                FROM {MONTHLY.name} WHERE {where} AND department_id = %(department)s
                GROUP BY month, department_id ORDER BY month""",
            params,
        )
        series = [_with_rates(r) for r in series]
        if group_by == "month":
            table = series
        elif group_by == "department":
            found = rows(
                cursor,
                f"""SELECT month, department_id, max(department_name) AS department_name, {sums}
                    FROM {MONTHLY.name} WHERE {where} AND department_id <> {ALL_DEPARTMENTS}
                    {"AND department_id = %(department)s" if department_id else ""}
                    GROUP BY month, department_id ORDER BY month, department_name""",
                params,
            )
            table = [_with_rates(r) for r in found]
        else:
            found = rows(
                cursor,
                f"""SELECT month, department_id, max(department_name) AS department_name, {group_by}, {sums}
                    FROM {MONTHLY.name} WHERE {where} AND department_id = %(department)s
                    GROUP BY month, department_id, {group_by} ORDER BY month, {group_by}""",
                params,
            )
            table = [_with_rates(r) for r in found]
        return {"series": series, "rows": table, "totals": None}

    header = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "department": department_id,
        "group_by": group_by,
        "age_group": age_group or None,
        "sex": sex or None,
        "area": params["area"] or None,
    }
    return {**header, **from_view("population_health", query)}
