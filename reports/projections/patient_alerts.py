"""Patient alerts: the clinical-decision-support rules, one SQL per rule, as one materialized view.

Every rule yields candidate alerts with a validity window [valid_from, valid_until) (valid_until NULL =
open-ended). The view holds no notion of "now": the window is compared with the clock when the alerts are
read (reports/queries/alerts.py), so time-based rules (a course running out, 7 days since a critical
result, 6 months since the last HbA1c) are right at any moment without a refresh. The view is refreshed
when its sources change, like every projection, and stays deterministic, so reconciliation can compare it
with a live run of the same SELECT.

Rules (severity high > medium > low):
- allergy_drug (high): a recorded allergy whose substance matches an active ingredient of a current
  prescription (same match as the dispense check: equal, or one contains the other, case-insensitive).
- interaction (per the table in pharmacy/interactions.py): two current prescriptions whose ingredients
  form a listed pair; valid while both courses run.
- critical_lab (high): a lab result flagged critical, for 7 days from when it was resulted.
- abnormal_vitals (high): in an open encounter, the latest reading of a sign crosses a threshold below.
- care_gap_hba1c (low): an unresolved diabetes diagnosis (E10*, E11*) and no HbA1c (LOINC 4548-4) in the
  last 6 months: from 6 months after the last HbA1c, or from the diagnosis when there is none.

A prescription is current from prescribed_at until the end of its last day (prescribed date + duration,
UTC dates as in every view), unless cancelled: what is prescribed matters before it is dispensed.
"""

from clinical.lab_tests import HBA1C
from pharmacy import interactions
from reports.projections.base import Projection, View

CRITICAL_LAB_DAYS = 7
CARE_GAP_MONTHS = 6
DIABETES = ("E10", "E11")

# (sign, comparison, limit, what it means). A sign's latest reading in an open encounter is checked.
VITAL_THRESHOLDS = (
    ("spo2", "<", 90, "below 90 %"),
    ("systolic", ">=", 180, "180 mmHg or more"),
    ("systolic", "<", 90, "below 90 mmHg"),
    ("diastolic", ">=", 120, "120 mmHg or more"),
    ("pulse", ">", 130, "above 130 /min"),
    ("pulse", "<", 40, "below 40 /min"),
    ("temperature", ">=", 39.5, "39.5 °C or more"),
    ("temperature", "<", 35.0, "below 35.0 °C"),
    ("respiratory_rate", ">=", 30, "30 /min or more"),
)
SIGNS = (  # (sign, label, unit)
    ("spo2", "SpO₂", "%"),
    ("systolic", "Systolic pressure", "mmHg"),
    ("diastolic", "Diastolic pressure", "mmHg"),
    ("pulse", "Pulse", "/min"),
    ("temperature", "Temperature", "°C"),
    ("respiratory_rate", "Respiratory rate", "/min"),
)

TITLES = {
    "allergy_drug": "Allergy to a prescribed drug",
    "interaction": "Drug interaction",
    "critical_lab": "Critical lab result",
    "abnormal_vitals": "Abnormal vital sign",
    "care_gap_hba1c": "Care gap: HbA1c overdue",
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _text(value: str) -> str:
    """A constant from our own tables as an SQL literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _values(rows, columns: str) -> str:
    body = ", ".join("(" + ", ".join(_text(v) if isinstance(v, str) else str(v) for v in row) + ")" for row in rows)
    return f"(VALUES {body}) AS {columns}"


INTERACTING = sorted({i for a, b, _, _ in interactions.pairs() for i in (a, b)})

COURSES = """
courses AS (
    SELECT p.id, e.patient_id, d.generic_name, d.ingredients::text[] AS ingredients,
           p.prescribed_at AS valid_from,
           ((p.prescribed_at AT TIME ZONE 'UTC')::date + p.duration_days + 1)::timestamp AT TIME ZONE 'UTC'
               AS valid_until
    FROM pharmacy_prescription p
    JOIN clinical_encounter e ON e.id = p.encounter_id
    JOIN pharmacy_drug d ON d.id = p.drug_id
    WHERE p.status <> 'cancelled'
)"""

ALLERGY_DRUG = """
SELECT c.patient_id, 'allergy_drug' AS rule, 'allergy:' || a.id || ':rx:' || c.id AS alert_key,
       'high' AS severity, lower(trim(a.substance)) || ' / ' || c.generic_name AS subject,
       'Allergy to ' || a.substance || ' (' || a.severity || COALESCE(', ' || NULLIF(a.reaction, ''), '')
           || '); ' || c.generic_name || ' is prescribed' AS reason,
       GREATEST(c.valid_from, a.recorded_at) AS valid_from, c.valid_until
FROM clinical_allergy a
JOIN courses c ON c.patient_id = a.patient_id
WHERE EXISTS (
    SELECT 1 FROM unnest(c.ingredients) AS i
    WHERE strpos(i, lower(trim(a.substance))) > 0 OR strpos(lower(trim(a.substance)), i) > 0
)"""

INTERACTION = f"""
SELECT x.patient_id, 'interaction', 'interaction:' || x.id || ':' || y.id || ':' || t.a || ':' || t.b,
       t.severity, t.a || ' + ' || t.b,
       x.generic_name || ' with ' || y.generic_name || ' (' || t.a || ' + ' || t.b || '): ' || t.effect,
       GREATEST(x.valid_from, y.valid_from), LEAST(x.valid_until, y.valid_until)
FROM interacting x
JOIN {_values(interactions.pairs(), "t(a, b, severity, effect)")} ON t.a = x.ingredient
JOIN interacting y ON y.ingredient = t.b AND y.patient_id = x.patient_id AND y.id <> x.id
WHERE GREATEST(x.valid_from, y.valid_from) < LEAST(x.valid_until, y.valid_until)"""

CRITICAL_LAB = f"""
SELECT l.patient_id, 'critical_lab', 'lab:' || l.id, 'high', l.test_code,
       l.test_name || ' ' || trim_scale(l.value) || ' ' || l.unit || ' is critically '
           || CASE l.flag WHEN 'critical_low' THEN 'low' ELSE 'high' END
           || ' (resulted ' || to_char(l.resulted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC)',
       l.resulted_at, l.resulted_at + interval '{CRITICAL_LAB_DAYS} days'
FROM clinical_labresult l
WHERE l.flag IN ('critical_low', 'critical_high')"""

ABNORMAL_VITALS = f"""
SELECT s.patient_id, 'abnormal_vitals', 'vitals:' || s.vitals_id || ':' || s.sign || ':' || t.op,
       'high', s.sign || ' ' || t.op,
       u.label || ' ' || trim_scale(s.value) || ' ' || u.unit || ' (' || t.meaning || '), open encounter '
           || s.encounter_id || ', ' || to_char(s.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC',
       s.recorded_at, NULL::timestamptz
FROM (
    SELECT DISTINCT ON (v.encounter_id, m.sign) e.patient_id, v.encounter_id, v.id AS vitals_id, v.recorded_at,
           m.sign, m.value
    FROM clinical_vitals v
    JOIN clinical_encounter e ON e.id = v.encounter_id AND e.status = 'open'
    CROSS JOIN LATERAL (VALUES ('spo2', v.spo2::numeric), ('systolic', v.systolic::numeric),
        ('diastolic', v.diastolic::numeric), ('pulse', v.pulse::numeric), ('temperature', v.temperature),
        ('respiratory_rate', v.respiratory_rate::numeric)) AS m(sign, value)
    WHERE m.value IS NOT NULL
    ORDER BY v.encounter_id, m.sign, v.recorded_at DESC, v.id DESC
) AS s
JOIN {_values(VITAL_THRESHOLDS, "t(sign, op, threshold, meaning)")} ON t.sign = s.sign
JOIN {_values(SIGNS, "u(sign, label, unit)")} ON u.sign = s.sign
WHERE CASE t.op WHEN '<' THEN s.value < t.threshold WHEN '>' THEN s.value > t.threshold
                ELSE s.value >= t.threshold END"""

CARE_GAP_HBA1C = f"""
SELECT dm.patient_id, 'care_gap_hba1c', 'gap:hba1c:' || dm.patient_id, 'low', 'hba1c',
       CASE WHEN a.resulted_at IS NULL THEN 'Diabetes and no HbA1c on record'
            ELSE 'Diabetes; last HbA1c ' || trim_scale(a.value) || ' % on '
                 || to_char(a.resulted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ', over {CARE_GAP_MONTHS} months ago'
       END,
       COALESCE(a.resulted_at + interval '{CARE_GAP_MONTHS} months', dm.diagnosed_at), NULL::timestamptz
FROM (
    SELECT e.patient_id, min(d.recorded_at) AS diagnosed_at
    FROM clinical_diagnosis d JOIN clinical_encounter e ON e.id = d.encounter_id
    WHERE left(d.icd10_code, 3) IN ({", ".join(map(_text, DIABETES))}) AND d.resolved_at IS NULL
    GROUP BY e.patient_id
) AS dm
LEFT JOIN (
    SELECT DISTINCT ON (patient_id) patient_id, value, resulted_at
    FROM clinical_labresult WHERE test_code = {_text(HBA1C)}
    ORDER BY patient_id, resulted_at DESC, id DESC
) AS a ON a.patient_id = dm.patient_id"""

RULES = {
    "allergy_drug": ALLERGY_DRUG,
    "interaction": INTERACTION,
    "critical_lab": CRITICAL_LAB,
    "abnormal_vitals": ABNORMAL_VITALS,
    "care_gap_hba1c": CARE_GAP_HBA1C,
}

ALERTS = View(
    name="reports_patient_alerts",
    select=f"""
WITH {COURSES.strip()},
interacting AS (  -- one row per course and ingredient the interaction table names
    SELECT c.id, c.patient_id, c.generic_name, c.valid_from, c.valid_until, i.ingredient
    FROM courses c CROSS JOIN LATERAL unnest(c.ingredients) AS i(ingredient)
    WHERE i.ingredient IN ({", ".join(map(_text, INTERACTING))})
)
{" UNION ALL ".join(sql.strip() + chr(10) for sql in RULES.values())}""",
    unique=("alert_key",),
    indexes=(("patient_id",), ("rule",)),
)


def _changes_alerts(source: str, instance, update_fields, created=False) -> bool:
    """Dispensing moves a prescription between active, partly and fully dispensed, all of which count as
    prescribed here; only a cancellation (or any other change) can change the alerts."""
    if source == "pharmacy.prescription" and update_fields is not None:
        return not (set(update_fields) <= {"quantity_dispensed", "status"} and instance.status != "cancelled")
    return True


PROJECTION = Projection(
    name="patient_alerts",
    title="Patient alerts",
    views=(ALERTS,),
    sources=(
        "clinical.Allergy",
        "clinical.Diagnosis",
        "clinical.Encounter",
        "clinical.Vitals",
        "clinical.LabResult",
        "pharmacy.Prescription",
        "pharmacy.Drug",
    ),
    wants=_changes_alerts,
)
