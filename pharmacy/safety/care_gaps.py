"""Care gaps: rules of the safety engine that look at the whole record instead of one order. They feed the
patient-alerts projection (severity "low"); the chart shows each with the guideline line it comes from.

Each gap is a candidate alert with a validity window, like every alert: it starts when the care falls due
and is compared with the clock when read. The problem list (clinical.Condition, active rows) says who has
which condition; courses and their ends are the engine's (`courses` in engine.py).

Definitions:
- care_gap_bp: an active hypertension problem (ICD-10-CM I10-I13, I15, I16) and no blood pressure (a vitals
  reading with a systolic value) in the last 12 months: due 12 months after the last reading, or from the
  problem's onset when there is none.
- care_gap_hba1c: an active diabetes problem (E10, E11, E13) and no HbA1c (LOINC 4548-4) in the last 6 months:
  due 6 months after the last HbA1c, or from the problem's onset.
- care_gap_statin: an active diabetes problem, aged 40 to 75, and no statin (a course of an ingredient of the
  statin class, pharmacy/safety/classes.py): due from the latest of the problem's onset, the 40th birthday
  and the end of the last statin course (which may lie ahead: then it is due when the course runs out),
  until the 76th birthday. A statin course that ended between two others is not looked at: "now" is
  what the chart asks about.
- care_gap_creatinine: the latest eGFR (33914-3 or 62238-1) below 60 and no creatinine (2160-0) in the last 12
  months: due 12 months after the last creatinine, or from that eGFR when there is none.
- care_gap_inr: a current course of a vitamin K antagonist (warfarin, acenocoumarol; DOACs and heparins are not
  monitored by INR) and no INR (6301-6) in the last 8 weeks: due 8 weeks after the last INR, or from the
  start of the course when there is none, until the course ends.
"""

from pharmacy.safety.engine import literal

HYPERTENSION = ("I10", "I11", "I12", "I13", "I15", "I16")
DIABETES = ("E10", "E11", "E13")
HBA1C, CREATININE, INR = "4548-4", "2160-0", "6301-6"
EGFR = ("33914-3", "62238-1")

TITLES = {
    "care_gap_bp": "Care gap: blood pressure overdue",
    "care_gap_hba1c": "Care gap: HbA1c overdue",
    "care_gap_statin": "Care gap: no statin in diabetes",
    "care_gap_creatinine": "Care gap: creatinine overdue",
    "care_gap_inr": "Care gap: INR overdue",
}
GUIDELINES = {
    "care_gap_bp": "NICE NG136 (hypertension in adults): review people with hypertension at least once a year, "
    "blood pressure included.",
    "care_gap_hba1c": "ADA Standards of Care, glycemic goals: HbA1c at least twice a year in people meeting "
    "their goals, quarterly otherwise.",
    "care_gap_statin": "ADA Standards of Care, cardiovascular risk: people with diabetes aged 40-75 without "
    "cardiovascular disease take a moderate-intensity statin.",
    "care_gap_creatinine": "KDIGO 2012 CKD guideline: measure GFR at least once a year in people with chronic "
    "kidney disease.",
    "care_gap_inr": "Hospital anticoagulation policy: INR at least every 8 weeks on a vitamin K antagonist, once "
    "stable (BSH guidance allows up to 12 weeks).",
}


def _codes(codes) -> str:
    return ", ".join(map(literal, codes))


def _problem(codes) -> str:
    """Patients in scope with an active problem of these categories, and since when."""
    return f"""(
    SELECT c.patient_id, min(COALESCE(c.onset::timestamp AT TIME ZONE 'UTC', c.recorded_at)) AS since
    FROM scope s JOIN clinical_condition c ON c.patient_id = s.patient_id
    WHERE c.status = 'active' AND left(c.icd10_code, 3) IN ({_codes(codes)})
    GROUP BY c.patient_id
)"""


def _latest_lab(codes) -> str:
    return f"""(
    SELECT DISTINCT ON (l.patient_id) l.patient_id, l.value, l.resulted_at
    FROM scope s JOIN clinical_labresult l ON l.patient_id = s.patient_id
    WHERE l.test_code IN ({_codes(codes)})
    ORDER BY l.patient_id, l.resulted_at DESC, l.id DESC
)"""


def _day(column: str) -> str:
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


# Each: (patient_id, rule, alert_key, severity, subject, reason, valid_from, valid_until, prescription_id).
GAPS = {
    "care_gap_bp": f"""
SELECT h.patient_id, 'care_gap_bp', 'gap:bp:' || h.patient_id, 'low', 'blood pressure',
       CASE WHEN b.recorded_at IS NULL THEN 'Hypertension and no blood pressure on record'
            ELSE 'Hypertension; last blood pressure ' || b.systolic || '/' || COALESCE(b.diastolic::text, '?')
                 || ' mmHg on ' || {_day("b.recorded_at")} || ', over 12 months ago' END,
       COALESCE(b.recorded_at + interval '12 months', h.since), NULL::timestamptz, NULL::bigint
FROM {_problem(HYPERTENSION)} AS h
LEFT JOIN (
    SELECT DISTINCT ON (e.patient_id) e.patient_id, v.systolic, v.diastolic, v.recorded_at
    FROM scope s JOIN clinical_encounter e ON e.patient_id = s.patient_id
    JOIN clinical_vitals v ON v.encounter_id = e.id
    WHERE v.systolic IS NOT NULL
    ORDER BY e.patient_id, v.recorded_at DESC, v.id DESC
) AS b ON b.patient_id = h.patient_id""",
    "care_gap_hba1c": f"""
SELECT dm.patient_id, 'care_gap_hba1c', 'gap:hba1c:' || dm.patient_id, 'low', 'hba1c',
       CASE WHEN a.resulted_at IS NULL THEN 'Diabetes and no HbA1c on record'
            ELSE 'Diabetes; last HbA1c ' || trim_scale(a.value) || ' ' || chr(37) || ' on '
                 || {_day("a.resulted_at")} || ', over 6 months ago' END,
       COALESCE(a.resulted_at + interval '6 months', dm.since), NULL::timestamptz, NULL::bigint
FROM {_problem(DIABETES)} AS dm
LEFT JOIN {_latest_lab((HBA1C,))} AS a ON a.patient_id = dm.patient_id""",
    "care_gap_statin": f"""
SELECT dm.patient_id, 'care_gap_statin', 'gap:statin:' || dm.patient_id, 'low', 'statin',
       'Diabetes, aged 40-75, and no statin'
           || COALESCE('; the last statin course ends ' || {_day("st.until")}, ''),
       GREATEST(dm.since, (p.date_of_birth + interval '40 years')::timestamp AT TIME ZONE 'UTC', st.until),
       (p.date_of_birth + interval '76 years')::timestamp AT TIME ZONE 'UTC', NULL::bigint
FROM {_problem(DIABETES)} AS dm
JOIN clinical_patient p ON p.id = dm.patient_id
LEFT JOIN (
    SELECT c.patient_id, max(c.valid_until) AS until
    FROM course_ingredients c JOIN pharmacy_class_member k ON k.ingredient = c.ingredient AND k.class_code = 'statins'
    GROUP BY c.patient_id
) AS st ON st.patient_id = dm.patient_id""",
    "care_gap_creatinine": f"""
SELECT g.patient_id, 'care_gap_creatinine', 'gap:creatinine:' || g.patient_id, 'low', 'creatinine',
       'eGFR ' || trim_scale(g.value) || ' on ' || {_day("g.resulted_at")} || CASE WHEN k.resulted_at IS NULL
           THEN ' and no creatinine on record' ELSE '; last creatinine ' || {_day("k.resulted_at")}
           || ', over 12 months ago' END,
       COALESCE(k.resulted_at + interval '12 months', g.resulted_at), NULL::timestamptz, NULL::bigint
FROM {_latest_lab(EGFR)} AS g
LEFT JOIN {_latest_lab((CREATININE,))} AS k ON k.patient_id = g.patient_id
WHERE g.value < 60""",
    "care_gap_inr": f"""
SELECT DISTINCT ON (c.id) c.patient_id, 'care_gap_inr', 'gap:inr:' || c.id, 'low', 'inr',
       c.generic_name || ' (a vitamin K antagonist) and ' || CASE WHEN i.resulted_at IS NULL
           THEN 'no INR on record' ELSE 'last INR ' || trim_scale(i.value) || ' on ' || {_day("i.resulted_at")}
           || ', over 8 weeks ago' END,
       GREATEST(c.valid_from, i.resulted_at + interval '8 weeks'), c.valid_until, c.id
FROM course_ingredients c
JOIN pharmacy_class_member k ON k.ingredient = c.ingredient AND k.class_code = 'vitamin-k-antagonists'
LEFT JOIN {_latest_lab((INR,))} AS i ON i.patient_id = c.patient_id
ORDER BY c.id""",
}
