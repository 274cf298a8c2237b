"""The patient view (seed 001's PatientView / PatientSummaryView): one denormalized row per patient.

Demographics (with the columns search needs: the name unaccented in lower case, and again without its
apostrophes and hyphens when it has some, so "obrien" finds O'Brien; the phone's digits; the active problems'
codes), the problem list, allergies and what is known about them, current medications, the last
vitals and encounters, upcoming appointments, the open balance and `last_updated` (the latest change to any
of it). The chart header, the patient summary API and the patient lists read it (reports/queries/patients.py)
from a caught-up standby.

Kept key by key: a change recomputes only the rows of the patients it touches (`Increment`, keyed by
patient), in the same outbox pipeline as every projection, so a write costs one patient's recomputation
whatever the number of patients. A renamed department recomputes the whole table (it is named on many rows;
rare). Staff names (attending, provider) are copied when a row is computed: a renamed member of staff shows
under the old name until the patient's next change or the hourly reconciliation, which repairs it.

A record merged into another (clinical.commands.patient_merge) has no row: its survivor's row lists its MRN
(`other_mrns`), so searching the old MRN finds the survivor.

Time never makes a row wrong: age is computed when read; medications and appointments carry their own end
(`until`, `ends_at`) and readers drop those past, so nothing needs a refresh because the clock moved (the
rows computed leave out what had already ended).
"""

import datetime
import json

from django.utils.dateparse import parse_datetime

from clinical.models import AllergyStatement
from pharmacy.models import Drug
from pharmacy.safety.engine import course_end, literal
from reports.projections.base import CHANGES, Function, Increment, Projection, View, rows

RECENT_ENCOUNTERS = 10
RECENT_VITALS = 5
UPCOMING_APPOINTMENTS = 10

UNACCENT = Function(
    signature="hmis_unaccent(text)",
    sql="""
CREATE OR REPLACE FUNCTION hmis_unaccent(value text) RETURNS text IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, value) $$
""",
)


def _case(column: str, choices, default: str = "''") -> str:
    whens = " ".join(f"WHEN {literal(value)} THEN {literal(label)}" for value, label in choices)
    return f"CASE {column} {whens} ELSE {default} END"


def _name(alias: str) -> str:
    """A member of staff as the pages name them: their full name, else their user name."""
    return f"COALESCE(NULLIF(btrim({alias}.first_name || ' ' || {alias}.last_name), ''), {alias}.username)"


STATEMENT_LABEL = _case("s.kind", AllergyStatement.Kind.choices)
DRUG_FORM = _case("d.form", [(v, label.lower()) for v, label in Drug.Form.choices], "d.form")
COURSE_END = course_end("rx.prescribed_at", "rx.duration_days", "rx.ended_at")


def patient_select(patients: str) -> str:
    """The rows of the patients `patients` (a FROM item with patient_id)."""
    return f"""
SELECT p.id AS patient_id, p.mrn, p.given_name, p.family_name,
       hmis_unaccent(lower(p.given_name || ' ' || p.family_name
           || CASE WHEN p.given_name || p.family_name ~ '[^[:alnum:][:space:]]'
                   THEN ' ' || regexp_replace(p.given_name || ' ' || p.family_name, '[^[:alnum:][:space:]]', '', 'g')
                   ELSE '' END)) AS search_name,
       hmis_unaccent(lower(p.family_name || ' ' || p.given_name)) AS sort_name,
       p.date_of_birth, p.sex, p.phone, regexp_replace(p.phone, '[^0-9]', '', 'g') AS phone_digits,
       p.address_line1, p.address_line2, p.city, p.postal_code,
       upper(regexp_replace(p.postal_code, '[^0-9A-Za-z]', '', 'g')) AS postal_key,
       p.country, p.preferred_language, p.primary_care_provider_id,
       CASE WHEN pcp.id IS NULL THEN '' ELSE {_name("pcp")} END AS primary_care_provider,
       p.created_at,
       COALESCE((SELECT array_agg(m.mrn ORDER BY m.mrn) FROM clinical_patient m WHERE m.merged_into_id = p.id),
                '{{}}') AS other_mrns,
       COALESCE(pr.codes, '{{}}') AS problem_codes,
       COALESCE(pr.items, '[]') AS problems,
       CASE WHEN al.recorded THEN jsonb_build_object('state', 'recorded', 'label', 'Allergies recorded')
            WHEN st.kind IS NOT NULL THEN jsonb_build_object('state', st.kind, 'label', st.label)
            ELSE jsonb_build_object('state', 'not_asked', 'label', 'Not yet asked') END AS allergy_status,
       COALESCE(al.items, '[]') AS allergies,
       COALESCE(rx.items, '[]') AS medications,
       COALESCE(vs.items, '[]') AS recent_vitals,
       COALESCE(en.items, '[]') AS recent_encounters,
       COALESCE(ap.items, '[]') AS upcoming_appointments,
       COALESCE(bal.owed, 0)::numeric(14, 2) AS open_balance,
       GREATEST(p.updated_at, pr.changed, al.changed, st.changed, rx.changed, vs.changed, en.changed, ap.changed,
                bal.changed) AS last_updated
FROM {patients} AS t
JOIN clinical_patient p ON p.id = t.patient_id AND p.merged_into_id IS NULL
LEFT JOIN auth_user pcp ON pcp.id = p.primary_care_provider_id
LEFT JOIN LATERAL (
    SELECT array_agg(c.icd10_code ORDER BY c.icd10_code) AS codes,
           jsonb_agg(jsonb_build_object('id', c.id, 'code', c.icd10_code, 'description', c.description,
                                        'status', c.status, 'onset', c.onset, 'recorded_at', c.recorded_at,
                                        'last_diagnosed_at', c.last_diagnosed_at)
                     ORDER BY c.onset NULLS LAST, c.icd10_code) AS items,
           max(GREATEST(c.recorded_at, c.last_diagnosed_at)) AS changed
    FROM clinical_condition c WHERE c.patient_id = p.id AND c.status = 'active'
) AS pr ON true
LEFT JOIN LATERAL (
    SELECT bool_or(a.verification <> 'refuted') AS recorded,
           jsonb_agg(jsonb_build_object('id', a.id, 'allergen_code', a.allergen_code, 'substance', a.substance,
                                        'coded', a.allergen_code <> '', 'category', a.category,
                                        'reaction', a.reaction, 'severity', a.severity,
                                        'verification', a.verification, 'onset', a.onset,
                                        'recorded_at', a.recorded_at)
                     ORDER BY a.substance, a.id) AS items,
           max(a.recorded_at) AS changed
    FROM clinical_allergy a WHERE a.patient_id = p.id
) AS al ON true
LEFT JOIN LATERAL (
    SELECT (array_agg(s.kind ORDER BY s.stated_at DESC, s.id DESC) FILTER (WHERE s.withdrawn_at IS NULL))[1] AS kind,
           (array_agg({STATEMENT_LABEL} ORDER BY s.stated_at DESC, s.id DESC)
                FILTER (WHERE s.withdrawn_at IS NULL))[1] AS label,
           max(GREATEST(s.stated_at, s.withdrawn_at)) AS changed
    FROM clinical_allergystatement s WHERE s.patient_id = p.id
) AS st ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
               'prescription', rx.id, 'drug', d.generic_name || ' ' || d.strength || ' ' || {DRUG_FORM},
               'dose', rx.dose, 'frequency', rx.frequency, 'status', rx.status,
               'quantity', rx.quantity, 'quantity_dispensed', rx.quantity_dispensed,
               'prescribed_at', rx.prescribed_at, 'until', {COURSE_END})
               ORDER BY rx.prescribed_at DESC, rx.id DESC) AS items,
           max(GREATEST(rx.prescribed_at, rx.ended_at)) AS changed
    FROM clinical_encounter e
    JOIN pharmacy_prescription rx ON rx.encounter_id = e.id
    JOIN pharmacy_drug d ON d.id = rx.drug_id
    WHERE e.patient_id = p.id AND rx.status IN ('active', 'partially_dispensed', 'dispensed')
      AND {COURSE_END} > now()
) AS rx ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
               'id', v.id, 'encounter', v.encounter_id, 'recorded_at', v.recorded_at, 'pulse', v.pulse,
               'systolic', v.systolic, 'diastolic', v.diastolic, 'temperature', v.temperature, 'spo2', v.spo2,
               'respiratory_rate', v.respiratory_rate, 'weight', v.weight)
               ORDER BY v.recorded_at DESC, v.id DESC) AS items,
           max(v.recorded_at) AS changed
    FROM (SELECT v.* FROM clinical_encounter e JOIN clinical_vitals v ON v.encounter_id = e.id
          WHERE e.patient_id = p.id ORDER BY v.recorded_at DESC, v.id DESC LIMIT {RECENT_VITALS}) AS v
) AS vs ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
               'id', e.id, 'patient', e.patient_id, 'type', e.type, 'status', e.status,
               'department', e.department_id, 'department_name', dep.name, 'attending', e.attending_id,
               'attending_name', btrim(u.first_name || ' ' || u.last_name), 'started_at', e.started_at,
               'ended_at', e.ended_at, 'reason', e.reason)
               ORDER BY e.started_at DESC, e.id DESC) AS items,
           max(GREATEST(e.started_at, e.ended_at)) AS changed
    FROM (SELECT e.* FROM clinical_encounter e WHERE e.patient_id = p.id
          ORDER BY e.started_at DESC, e.id DESC LIMIT {RECENT_ENCOUNTERS}) AS e
    LEFT JOIN clinical_department dep ON dep.id = e.department_id
    LEFT JOIN auth_user u ON u.id = e.attending_id
) AS en ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
               'id', a.id, 'slot', a.slot_id, 'department', a.department_id, 'department_name', dep.name,
               'provider', a.provider_id, 'provider_name', {_name("u")}, 'day', a.day,
               'starts_at', a.starts_at, 'ends_at', a.ends_at, 'status', a.status, 'reason', a.reason)
               ORDER BY a.starts_at, a.id) AS items,
           max(a.booked_at) AS changed
    FROM (SELECT a.* FROM scheduling_appointment a
          WHERE a.patient_id = p.id AND a.status IN ('booked', 'checked_in') AND a.ends_at >= now()
          ORDER BY a.starts_at, a.id LIMIT {UPCOMING_APPOINTMENTS}) AS a
    JOIN clinical_department dep ON dep.id = a.department_id
    JOIN auth_user u ON u.id = a.provider_id
) AS ap ON true
LEFT JOIN LATERAL (
    SELECT sum(i.total - i.amount_paid - i.amount_credited)
               FILTER (WHERE i.status IN ('issued', 'partially_paid')) AS owed,
           max(GREATEST(i.created_at, i.issued_at, i.voided_at)) AS changed
    FROM billing_invoice i WHERE i.patient_id = p.id
) AS bal ON true"""


# The patients %(changes)s touch (NULL: a row that is gone, and then the whole table is recomputed).
TOUCHED = f"""{CHANGES}
SELECT p.id FROM changes c LEFT JOIN clinical_patient p ON p.id = c.id WHERE c.source = 'clinical.patient'
UNION SELECT e.patient_id FROM changes c LEFT JOIN clinical_encounter e ON e.id = c.id
WHERE c.source = 'clinical.encounter'
UNION SELECT a.patient_id FROM changes c LEFT JOIN clinical_allergy a ON a.id = c.id
WHERE c.source = 'clinical.allergy'
UNION SELECT s.patient_id FROM changes c LEFT JOIN clinical_allergystatement s ON s.id = c.id
WHERE c.source = 'clinical.allergystatement'
UNION SELECT x.patient_id FROM changes c LEFT JOIN clinical_condition x ON x.id = c.id
WHERE c.source = 'clinical.condition'
UNION SELECT e.patient_id FROM changes c LEFT JOIN clinical_vitals v ON v.id = c.id
LEFT JOIN clinical_encounter e ON e.id = v.encounter_id WHERE c.source = 'clinical.vitals'
UNION SELECT e.patient_id FROM changes c LEFT JOIN pharmacy_prescription rx ON rx.id = c.id
LEFT JOIN clinical_encounter e ON e.id = rx.encounter_id WHERE c.source = 'pharmacy.prescription'
UNION SELECT e.patient_id FROM changes c JOIN pharmacy_prescription rx ON rx.drug_id = c.id
JOIN clinical_encounter e ON e.id = rx.encounter_id WHERE c.source = 'pharmacy.drug'
UNION SELECT i.patient_id FROM changes c LEFT JOIN billing_invoice i ON i.id = c.id
WHERE c.source = 'billing.invoice'
UNION SELECT a.patient_id FROM changes c LEFT JOIN scheduling_appointment a ON a.id = c.id
WHERE c.source = 'scheduling.appointment'"""

KEYED = (
    "clinical.Patient",
    "clinical.Encounter",
    "clinical.Allergy",
    "clinical.AllergyStatement",
    "clinical.Condition",
    "clinical.Vitals",
    "pharmacy.Prescription",
    "pharmacy.Drug",
    "billing.Invoice",
    "scheduling.Appointment",
)
SOURCES = (*KEYED, "clinical.Department")

ALL_PATIENTS = "(SELECT id AS patient_id FROM clinical_patient)"

VIEW = View(
    name="reports_patient_view",
    select=patient_select(ALL_PATIENTS),
    unique=("patient_id",),
    indexes=(
        ("mrn text_pattern_ops",),  # an MRN prefix
        ("postal_key text_pattern_ops",),  # a postal code or its start (the area)
        ("date_of_birth",),
        ("sort_name",),
        ("USING gin", "search_name gin_trgm_ops"),  # words, prefixes and misspellings of names
        ("USING gin", "phone_digits gin_trgm_ops"),  # the digits anywhere in the number
        ("USING gin", "problem_codes"),  # has an active condition
        ("USING gin", "other_mrns"),  # the MRN of a record merged into this one
    ),
    increment=Increment(
        key=(("patient_id", "bigint"),),
        sources=tuple(source.lower() for source in KEYED),
        touched=TOUCHED,
        select=patient_select("{touched}"),
    ),
)


def name_words_select(patients: str) -> str:
    """Each word of each patient's names, folded (accents and case aside), one row per word and patient with
    the parts of the name it is in (f: family, g: given, fg: both): given and family name split at spaces,
    apostrophes and hyphens, and each name run together ("obrien", "annmarie")."""
    return f"""
SELECT w.word, string_agg(DISTINCT w.part, '' ORDER BY w.part) AS parts, p.id AS patient_id,
       hmis_unaccent(lower(p.family_name || ' ' || p.given_name)) AS sort_name
FROM {patients} AS t
JOIN clinical_patient p ON p.id = t.patient_id AND p.merged_into_id IS NULL
CROSS JOIN LATERAL (
    SELECT regexp_split_to_table(hmis_unaccent(lower(p.given_name)), '[[:space:]''-]+') AS word, 'g' AS part
    UNION ALL SELECT regexp_split_to_table(hmis_unaccent(lower(p.family_name)), '[[:space:]''-]+'), 'f'
    UNION ALL SELECT hmis_unaccent(lower(regexp_replace(p.given_name, '[^[:alnum:]]', '', 'g'))), 'g'
    UNION ALL SELECT hmis_unaccent(lower(regexp_replace(p.family_name, '[^[:alnum:]]', '', 'g'))), 'f'
) AS w
WHERE w.word <> ''
GROUP BY w.word, p.id, p.family_name, p.given_name"""


# Name search's own table (reports/queries/patients.py): narrow rows in (word, sort_name) order, so "Smith"
# is an index range read in alphabetical order however many Smiths there are.
NAME_WORDS = View(
    name="reports_patient_name_words",
    select=name_words_select(ALL_PATIENTS),
    unique=("word", "patient_id"),
    indexes=(("word text_pattern_ops", "sort_name", "patient_id"), ("patient_id", "word")),
    increment=Increment(
        key=(("patient_id", "bigint"),),
        sources=tuple(source.lower() for source in KEYED),
        touched=TOUCHED,
        select=name_words_select("{touched}"),
    ),
)


def _changes_view(source: str, instance, update_fields, created=False) -> bool:
    """A drug's price or stock level, a new department, a department's code: nothing the view shows."""
    if source == "clinical.department":
        return created is False and (update_fields is None or "name" in update_fields)
    if source == "pharmacy.drug":
        return created is False and (
            update_fields is None or bool({"generic_name", "strength", "form"} & set(update_fields))
        )
    return True


JSON_COLUMNS = (
    "problems",
    "allergy_status",
    "allergies",
    "medications",
    "recent_vitals",
    "recent_encounters",
    "upcoming_appointments",
)
# Lists whose items end (a course, an appointment): readers drop the ended ones, and so does reconciliation.
ENDS = {"medications": "until", "upcoming_appointments": "ends_at"}


def current(row: dict, now: datetime.datetime) -> dict:
    """A row as readers take it at `now`: JSON decoded, ended courses and appointments left out."""
    row = {k: json.loads(v) if k in JSON_COLUMNS and isinstance(v, str) else v for k, v in row.items()}
    for column, end in ENDS.items():
        row[column] = [item for item in row[column] if parse_datetime(item[end]) > now]
    return row


CHUNK = 5000
CHUNK_PATIENTS = "(SELECT id AS patient_id FROM clinical_patient WHERE id BETWEEN %(a)s AND %(b)s)"


def _words(cursor, sql: str, params: dict) -> dict[int, list]:
    by_patient: dict[int, list] = {}
    for row in rows(cursor, sql, params):
        by_patient.setdefault(row["patient_id"], []).append(f"{row['parts']}:{row['word']}")
    return {patient: sorted(found) for patient, found in by_patient.items()}


def differences(cursor) -> list[dict]:
    """Each field of each row that differs from a fresh computation, in the caller's snapshot; the rows of
    patients gone (or missing) as the field "row". Patient by patient, CHUNK at a time."""
    cursor.execute(
        f"SELECT now(), LEAST((SELECT min(id) FROM clinical_patient), (SELECT min(patient_id) FROM {VIEW.name})), "
        f"GREATEST((SELECT max(id) FROM clinical_patient), (SELECT max(patient_id) FROM {VIEW.name}))"
    )
    now, low, high = cursor.fetchone()
    found = []
    for start in range(low or 0, (high or -1) + 1, CHUNK):
        span = {"a": start, "b": start + CHUNK - 1}
        held = {
            r["patient_id"]: r
            for r in rows(cursor, f"SELECT * FROM {VIEW.name} WHERE patient_id BETWEEN %(a)s AND %(b)s", span)
        }
        fresh = {r["patient_id"]: r for r in rows(cursor, patient_select(CHUNK_PATIENTS), span)}
        words = _words(
            cursor,
            f"SELECT word, parts, patient_id FROM {NAME_WORDS.name} WHERE patient_id BETWEEN %(a)s AND %(b)s",
            span,
        )
        live_words = _words(cursor, name_words_select(CHUNK_PATIENTS), span)
        for patient in sorted(words.keys() | live_words.keys()):
            if words.get(patient, []) != live_words.get(patient, []):
                found.append(
                    {
                        "key": patient,
                        "field": "name_words",
                        "view": words.get(patient, []),
                        "source": live_words.get(patient, []),
                    }
                )
        for patient in sorted(held.keys() | fresh.keys()):
            if patient not in held or patient not in fresh:
                found.append({"key": patient, "field": "row", "view": patient in held, "source": patient in fresh})
                continue
            a, b = current(held[patient], now), current(fresh[patient], now)
            for column in b:
                if a.get(column) != b[column]:
                    found.append({"key": patient, "field": column, "view": a.get(column), "source": b[column]})
    return found


def recompute(cursor, keys) -> None:
    """Rewrite the rows of these patients from the write model (and drop those of patients gone)."""
    ids = sorted({int(k) for k in keys})
    cursor.execute(f"DELETE FROM {NAME_WORDS.name} WHERE patient_id = ANY(%(ids)s)", {"ids": ids})
    cursor.execute(
        f"INSERT INTO {NAME_WORDS.name} {name_words_select('(SELECT unnest(%(ids)s::bigint[]) AS patient_id)')}",
        {"ids": ids},
    )
    cursor.execute(f"DELETE FROM {VIEW.name} WHERE patient_id = ANY(%(ids)s)", {"ids": ids})
    cursor.execute(
        f"INSERT INTO {VIEW.name} {patient_select('(SELECT unnest(%(ids)s::bigint[]) AS patient_id)')}", {"ids": ids}
    )


PROJECTION = Projection(
    name="patient_view",
    title="Patient view",
    views=(VIEW, NAME_WORDS),
    sources=SOURCES,
    wants=_changes_view,
    functions=(UNACCENT,),
    differences=differences,
    recompute=recompute,
)
