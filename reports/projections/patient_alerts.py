"""Patient alerts: the clinical-decision-support rules, as one table kept per patient.

Every rule yields candidate alerts with a validity window [valid_from, valid_until) (valid_until NULL =
open-ended). The table holds no notion of "now": the window is compared with the clock when the alerts are
read (reports/queries/alerts.py), so time-based rules (a course running out, 7 days since a critical
result, 6 months since the last HbA1c) are right at any moment without a refresh. The table is kept key by
key: a change recomputes the rows of the patients it touches (`Increment`, keyed by patient), so a write
costs one patient's recomputation, not the whole table's.

Rules (severity high > medium > low):
- the medication-safety rules (allergy_drug, allergy_cross, allergy_unverified, allergy_uncoded,
  interaction, duplicate, renal): pharmacy/safety/engine.py, the same SQL the prescribing and dispensing
  commands run, applied to every course (prescribed and not yet dispensed included). A finding that
  blocks is "high", a warning "medium", an unconfirmed allergy "low".
- the care gaps (care_gap_bp, care_gap_hba1c, care_gap_statin, care_gap_creatinine, care_gap_inr):
  pharmacy/safety/care_gaps.py, "low", each with its guideline.
- critical_lab (high): a lab result flagged critical, for 7 days from when it was resulted.
- abnormal_vitals (high): in an open encounter, the latest reading of a sign crosses a threshold below.
"""

from pharmacy.safety import care_gaps, engine
from reports.projections.base import CHANGES, Increment, Projection, View

CRITICAL_LAB_DAYS = 7

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
    **{rule: engine.TITLES[rule] for rule in engine.ALERT_RULES},
    "critical_lab": "Critical lab result",
    "abnormal_vitals": "Abnormal vital sign",
    **care_gaps.TITLES,
}
GUIDELINES = care_gaps.GUIDELINES
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _values(rows, columns: str) -> str:
    body = ", ".join("(" + ", ".join(engine.literal(v) for v in row) + ")" for row in rows)
    return f"(VALUES {body}) AS {columns}"


CRITICAL_LAB = f"""
SELECT l.patient_id, 'critical_lab', 'lab:' || l.id, 'high', l.test_code,
       l.test_name || ' ' || trim_scale(l.value) || ' ' || l.unit || ' is critically '
           || CASE l.flag WHEN 'critical_low' THEN 'low' ELSE 'high' END
           || ' (resulted ' || to_char(l.resulted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC)',
       l.resulted_at, l.resulted_at + interval '{CRITICAL_LAB_DAYS} days', NULL::bigint
FROM scope s JOIN clinical_labresult l ON l.patient_id = s.patient_id
WHERE l.flag IN ('critical_low', 'critical_high')"""

ABNORMAL_VITALS = f"""
SELECT s.patient_id, 'abnormal_vitals', 'vitals:' || s.vitals_id || ':' || s.sign || ':' || t.op,
       'high', s.sign || ' ' || t.op,
       u.label || ' ' || trim_scale(s.value) || ' ' || u.unit || ' (' || t.meaning || '), open encounter '
           || s.encounter_id || ', ' || to_char(s.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC',
       s.recorded_at, NULL::timestamptz, NULL::bigint
FROM (
    SELECT DISTINCT ON (v.encounter_id, m.sign) e.patient_id, v.encounter_id, v.id AS vitals_id, v.recorded_at,
           m.sign, m.value
    FROM scope p
    JOIN clinical_encounter e ON e.patient_id = p.patient_id AND e.status = 'open'
    JOIN clinical_vitals v ON v.encounter_id = e.id
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

# The medication findings as alerts: the rule's severity, and the course the finding is about.
FINDINGS = """
SELECT patient_id, rule, 'rx:' || prescription_id || ':' || rule || ':' || detail, CASE
           WHEN action = 'block' THEN 'high' WHEN rule = 'allergy_unverified' THEN 'low' ELSE 'medium' END,
       subject, message, valid_from, valid_until, prescription_id
FROM checked"""

RULES = {
    "findings": FINDINGS,
    "critical_lab": CRITICAL_LAB,
    "abnormal_vitals": ABNORMAL_VITALS,
    **care_gaps.GAPS,
}

COURSES = """
SELECT 'rx:' || c.id AS order_key, c.patient_id, c.id AS prescription_id, c.generic_name, c.ingredients,
       c.valid_from, c.valid_until
FROM courses c"""


def alerts_select(patients: str) -> str:
    """The alerts of the patients `patients` (a FROM item with patient_id)."""
    union = "\nUNION ALL\n".join(f"({sql.strip()})" for sql in RULES.values())
    return f"""WITH {engine.checked(patients=patients, orders=COURSES, rules=engine.ALERT_RULES)}
SELECT a.* FROM (
{union}
) AS a (patient_id, rule, alert_key, severity, subject, reason, valid_from, valid_until, prescription_id)"""


# The patients %(changes)s touch (NULL: a row that is gone, and then the whole table is recomputed).
TOUCHED = f"""{CHANGES}
SELECT a.patient_id FROM changes c LEFT JOIN clinical_allergy a ON a.id = c.id WHERE c.source = 'clinical.allergy'
UNION SELECT x.patient_id FROM changes c LEFT JOIN clinical_condition x ON x.id = c.id
WHERE c.source = 'clinical.condition'
UNION SELECT e.patient_id FROM changes c LEFT JOIN clinical_encounter e ON e.id = c.id
WHERE c.source = 'clinical.encounter'
UNION SELECT e.patient_id FROM changes c LEFT JOIN clinical_vitals v ON v.id = c.id
LEFT JOIN clinical_encounter e ON e.id = v.encounter_id WHERE c.source = 'clinical.vitals'
UNION SELECT l.patient_id FROM changes c LEFT JOIN clinical_labresult l ON l.id = c.id
WHERE c.source = 'clinical.labresult'
UNION SELECT p.id FROM changes c LEFT JOIN clinical_patient p ON p.id = c.id WHERE c.source = 'clinical.patient'
UNION SELECT e.patient_id FROM changes c LEFT JOIN pharmacy_prescription p ON p.id = c.id
LEFT JOIN clinical_encounter e ON e.id = p.encounter_id WHERE c.source = 'pharmacy.prescription'
UNION SELECT e.patient_id FROM changes c JOIN pharmacy_prescription p ON p.drug_id = c.id
JOIN clinical_encounter e ON e.id = p.encounter_id WHERE c.source = 'pharmacy.drug'"""

SOURCES = (
    "clinical.Allergy",
    "clinical.Condition",
    "clinical.Encounter",
    "clinical.Vitals",
    "clinical.LabResult",
    "clinical.Patient",
    "pharmacy.Prescription",
    "pharmacy.Drug",
)

ALERTS = View(
    name="reports_patient_alerts",
    select=alerts_select("(SELECT id AS patient_id FROM clinical_patient)"),
    unique=("alert_key",),
    indexes=(("patient_id",), ("rule",)),
    increment=Increment(
        key=(("patient_id", "bigint"),),
        sources=tuple(source.lower() for source in SOURCES),
        touched=TOUCHED,
        select=alerts_select("{touched}"),
    ),
)


def _changes_alerts(source: str, instance, update_fields, created=False) -> bool:
    """Dispensing moves a prescription between active, partly and fully dispensed, all of which count as
    prescribed here; only a cancellation or a stop (or any other change) can change the alerts. A patient's
    name or address changes nothing here: only a date of birth does (the statin care gap)."""
    if source == "pharmacy.prescription" and update_fields is not None:
        return not (
            set(update_fields) <= {"quantity_dispensed", "status"} and instance.status not in ("cancelled", "stopped")
        )
    if source == "clinical.patient":
        return created is False and (update_fields is None or "date_of_birth" in update_fields)
    return True


PROJECTION = Projection(
    name="patient_alerts",
    title="Patient alerts",
    views=(ALERTS,),
    sources=SOURCES,
    wants=_changes_alerts,
)
