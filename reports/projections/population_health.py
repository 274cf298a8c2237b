"""Population health: diabetes and hypertension control and 30-day readmissions, per month and department.

Definitions (months are calendar months in UTC, like every view; "month end" is the first instant of the
next month, exclusive):

- Under care in month M in department D: the patient had an encounter (any type) in D that started in M.
  The all-departments row (department_id 0) counts each patient once per month however many departments
  saw them.
- Diabetes control: denominator = patients under care in M with a diabetes diagnosis (ICD-10-CM E10*,
  E11*) recorded before month end and not resolved by then. Controlled = their latest HbA1c (LOINC 4548-4)
  resulted before month end, and within the 12 months before it, is below 7.0 %. No HbA1c in those 12
  months counts as not controlled (and is reported as "untested").
- Hypertension control: the same with I10, I11*, I12*, I13*, I15*, I16* and the latest blood pressure
  (vitals with both systolic and diastolic, from any encounter) within 12 months before month end:
  controlled when systolic < 140 and diastolic < 90. No reading: not controlled ("unmeasured").
- Readmissions: a discharge is a closed inpatient encounter, counted in the month (of ended_at) and
  department it was discharged from. It is readmitted when another inpatient encounter of the same
  patient starts after the discharge instant and no more than 30 days (30 x 24 h) later. The latest
  month's count can still grow for 30 days.

Seed 001's dimensions: every row is also split by the patient's age group (age at the start of the month,
AGE_GROUPS), sex, and area (the first AREA_CHARACTERS letters and digits of the postal code, "?" when there
is none). A patient is in exactly one age group, sex and area in a month, so summing rows over any of these
is exact: readers sum the rows that match their filters and group them by what they ask for
(reports/queries/population.py).

Counts only: rates are computed when read (reports/queries/population.py), since they cannot be summed.
The SQL uses joins and window functions, no subquery per row: lead() gives each result the moment the next
one replaced it, so "latest as of month end" is a join on the patient with a range condition, and only
for the patient-months that have the condition.
"""

from clinical.lab_tests import HBA1C
from reports.projections.base import NIGHTLY, Projection, View

DIABETES = ("E10", "E11")
HYPERTENSION = ("I10", "I11", "I12", "I13", "I15", "I16")
HBA1C_CONTROLLED_BELOW = 7
SYSTOLIC_BELOW, DIASTOLIC_BELOW = 140, 90
LOOKBACK_MONTHS = 12
READMISSION_DAYS = 30
ALL_DEPARTMENTS = 0
# (label, from age, to age inclusive; None: no upper bound)
AGE_GROUPS = (("0-17", 0, 17), ("18-39", 18, 39), ("40-64", 40, 64), ("65-79", 65, 79), ("80+", 80, None))
AREA_CHARACTERS = 3
UNKNOWN_AREA = "?"
_AGE_AT = "date_part('year', age(u.month, p.date_of_birth))"
AGE_GROUP_SQL = (
    "CASE "
    + " ".join(f"WHEN {_AGE_AT} <= {high} THEN '{label}'" for label, _, high in AGE_GROUPS if high is not None)
    + f" ELSE '{AGE_GROUPS[-1][0]}' END"
)
AREA_SQL = (
    f"COALESCE(NULLIF(left(upper(regexp_replace(p.postal_code, '[^0-9A-Za-z]', '', 'g')), {AREA_CHARACTERS}), ''), "
    f"'{UNKNOWN_AREA}')"
)
_DIMS = "age_group, sex, area"


def _codes(categories) -> str:
    return ", ".join(f"'{c}'" for c in categories)


_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE s.{flag}) AS {name}"
    for name, flag in (
        ("diabetes_patients", "diabetic"),
        ("diabetes_controlled", "diabetes_controlled"),
        ("diabetes_untested", "diabetes_untested"),
        ("hypertension_patients", "hypertensive"),
        ("hypertension_controlled", "hypertension_controlled"),
        ("hypertension_unmeasured", "hypertension_unmeasured"),
    )
)


MONTHLY = View(
    name="reports_population_health_monthly",
    select=f"""
WITH under_care AS (
    SELECT DISTINCT date_trunc('month', started_at AT TIME ZONE 'UTC')::date AS month, department_id, patient_id
    FROM clinical_encounter
), patient_months AS (
    SELECT DISTINCT month, patient_id FROM under_care
), dx AS (
    SELECT e.patient_id, left(d.icd10_code, 3) IN ({_codes(DIABETES)}) AS diabetes, d.recorded_at, d.resolved_at
    FROM clinical_diagnosis d JOIN clinical_encounter e ON e.id = d.encounter_id
    WHERE left(d.icd10_code, 3) IN ({_codes(DIABETES + HYPERTENSION)})
), chronic AS (
    -- Only the patient-months with a diabetes or hypertension diagnosis active at month end.
    SELECT pm.month, pm.patient_id, (pm.month + interval '1 month') AT TIME ZONE 'UTC' AS month_end,
           bool_or(dx.diabetes) AS diabetic, bool_or(NOT dx.diabetes) AS hypertensive
    FROM patient_months pm JOIN dx ON dx.patient_id = pm.patient_id
    WHERE dx.recorded_at < (pm.month + interval '1 month') AT TIME ZONE 'UTC'
      AND (dx.resolved_at IS NULL OR dx.resolved_at >= (pm.month + interval '1 month') AT TIME ZONE 'UTC')
    GROUP BY pm.month, pm.patient_id
), a1c AS (
    SELECT patient_id, value, resulted_at,
           lead(resulted_at) OVER (PARTITION BY patient_id ORDER BY resulted_at, id) AS replaced_at
    FROM clinical_labresult WHERE test_code = '{HBA1C}'
), bp AS (
    SELECT e.patient_id, v.systolic, v.diastolic, v.recorded_at,
           lead(v.recorded_at) OVER (PARTITION BY e.patient_id ORDER BY v.recorded_at, v.id) AS replaced_at
    FROM clinical_vitals v JOIN clinical_encounter e ON e.id = v.encounter_id
    WHERE v.systolic IS NOT NULL AND v.diastolic IS NOT NULL
), status AS (
    -- The latest value as of month end is the one resulted before it and not yet replaced by then.
    SELECT c.month, c.patient_id, c.diabetic, c.hypertensive,
           c.diabetic AND a.value < {HBA1C_CONTROLLED_BELOW} AS diabetes_controlled,
           c.diabetic AND a.value IS NULL AS diabetes_untested,
           c.hypertensive AND b.systolic < {SYSTOLIC_BELOW} AND b.diastolic < {DIASTOLIC_BELOW}
               AS hypertension_controlled,
           c.hypertensive AND b.systolic IS NULL AS hypertension_unmeasured
    FROM chronic c
    LEFT JOIN a1c a ON c.diabetic AND a.patient_id = c.patient_id AND a.resulted_at < c.month_end
        AND (a.replaced_at IS NULL OR a.replaced_at >= c.month_end)
        AND a.resulted_at >= c.month_end - interval '{LOOKBACK_MONTHS} months'
    LEFT JOIN bp b ON c.hypertensive AND b.patient_id = c.patient_id AND b.recorded_at < c.month_end
        AND (b.replaced_at IS NULL OR b.replaced_at >= c.month_end)
        AND b.recorded_at >= c.month_end - interval '{LOOKBACK_MONTHS} months'
), cared AS (
    -- who was under care where, with their age group, sex and area that month
    SELECT u.month, u.department_id, u.patient_id, {AGE_GROUP_SQL} AS age_group, p.sex, {AREA_SQL} AS area
    FROM under_care u JOIN clinical_patient p ON p.id = u.patient_id
), control AS (
    SELECT month, department_id, {_DIMS}, count(*) AS patients, {_COUNTS}
    FROM cared u LEFT JOIN status s USING (month, patient_id)
    GROUP BY month, department_id, {_DIMS}
    UNION ALL
    SELECT month, {ALL_DEPARTMENTS}, {_DIMS}, count(*), {_COUNTS}
    FROM (SELECT DISTINCT month, patient_id, {_DIMS} FROM cared) AS pm LEFT JOIN status s USING (month, patient_id)
    GROUP BY month, {_DIMS}
), inpatient AS (
    SELECT id, patient_id, department_id, started_at, ended_at FROM clinical_encounter WHERE type = 'inpatient'
), readmitted AS (
    SELECT DISTINCT d.id
    FROM inpatient d JOIN inpatient r ON r.patient_id = d.patient_id AND r.id <> d.id
    WHERE d.ended_at IS NOT NULL AND r.started_at > d.ended_at
      AND r.started_at <= d.ended_at + interval '{READMISSION_DAYS} days'
), readmissions AS (
    SELECT month, COALESCE(department_id, {ALL_DEPARTMENTS}) AS department_id, {_DIMS}, count(*) AS discharges,
           count(readmitted_id) AS readmissions_30d
    FROM (
        SELECT u.month, u.department_id, x.id AS readmitted_id, {AGE_GROUP_SQL} AS age_group, p.sex,
               {AREA_SQL} AS area
        FROM (SELECT date_trunc('month', d.ended_at AT TIME ZONE 'UTC')::date AS month, d.*
              FROM inpatient d WHERE d.ended_at IS NOT NULL) AS u
        JOIN clinical_patient p ON p.id = u.patient_id
        LEFT JOIN readmitted x ON x.id = u.id
    ) AS discharged
    GROUP BY GROUPING SETS ((month, department_id, {_DIMS}), (month, {_DIMS}))
)
SELECT COALESCE(c.month, r.month) AS month, COALESCE(c.department_id, r.department_id) AS department_id,
       COALESCE(c.age_group, r.age_group) AS age_group, COALESCE(c.sex, r.sex) AS sex,
       COALESCE(c.area, r.area) AS area,
       COALESCE(dep.name, 'All departments') AS department_name,
       COALESCE(c.patients, 0) AS patients,
       COALESCE(c.diabetes_patients, 0) AS diabetes_patients,
       COALESCE(c.diabetes_controlled, 0) AS diabetes_controlled,
       COALESCE(c.diabetes_untested, 0) AS diabetes_untested,
       COALESCE(c.hypertension_patients, 0) AS hypertension_patients,
       COALESCE(c.hypertension_controlled, 0) AS hypertension_controlled,
       COALESCE(c.hypertension_unmeasured, 0) AS hypertension_unmeasured,
       COALESCE(r.discharges, 0) AS discharges,
       COALESCE(r.readmissions_30d, 0) AS readmissions_30d
FROM control c
FULL JOIN readmissions r ON r.month = c.month AND r.department_id = c.department_id
    AND r.age_group = c.age_group AND r.sex = c.sex AND r.area = c.area
LEFT JOIN clinical_department dep ON dep.id = COALESCE(c.department_id, r.department_id)
""",
    unique=("month", "department_id", "age_group", "sex", "area"),
    indexes=(("department_id", "month"),),
)


def _changes_population(source: str, instance, update_fields, created=False) -> bool:
    """A new patient has no encounter yet; a patient counts here by birth date, sex and postal code only."""
    if source == "clinical.patient":
        shown = {"date_of_birth", "sex", "postal_code", "merged_into"}
        return not created and (update_fields is None or bool(shown & set(update_fields)))
    return True


PROJECTION = Projection(
    name="population_health",
    wants=_changes_population,
    title="Population health",
    views=(MONTHLY,),
    sources=(
        "clinical.Encounter",
        "clinical.Diagnosis",
        "clinical.Vitals",
        "clinical.LabResult",
        "clinical.Department",
        "clinical.Patient",  # age, sex, area
    ),
    reconcile=NIGHTLY,  # every patient's measures: ~8 s live at 200k patients
    min_interval=60,  # rescans every encounter, diagnosis, HbA1c and blood pressure
)
