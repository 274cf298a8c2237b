"""The medication-safety rule engine: each rule defined once, in SQL, and run in three places.

- At prescribing (`pharmacy.commands.prescription_create`, and the chart's review step before it): the
  order being written is checked against the patient's record as it is in the command's transaction.
- At dispensing (`pharmacy.commands.medication_dispense`, and the dispense page and admin action): the
  prescription is checked again, against the record as it is then, as taken from then for its duration.
- In the patient-alerts projection (reports/projections/patient_alerts.py): every course of every patient
  (key by key per patient), each finding with its validity window.

`findings_sql(patients=..., orders=...)` is that one definition: one SELECT whose rules read the orders
to check and the patients' records. Only the two FROM items differ between the three callers, so the
check a prescriber sees, the one the pharmacist sees and the alert on the chart cannot disagree
(tests/integration/test_safety_table.py runs the same cases through all three).

The rules (each finding is `block` or `warn`; a block needs an override reason, recorded with who gave it):

- allergy_drug (block): a coded allergy, not refuted, to an ingredient of the drug or to its class, or to
  an ingredient whose class cross-reacts as a whole (pharmacy/safety/classes.py: an aspirin allergy
  blocks ibuprofen). Unconfirmed allergies block like confirmed ones and say so.
- allergy_cross (warn): a cross-sensitive class (penicillin allergy, cefalexin prescribed), or another
  member of a class whose members may cross-react (morphine allergy, codeine prescribed).
- allergy_unverified (warn): an unconfirmed coded drug allergy the drug does not touch: confirm or refute it.
- allergy_uncoded (warn): a free-text allergy, which no rule can match: always shown.
- allergy_unknown (warn, not an alert): nothing recorded about allergies: neither an allergy nor a "no
  known (drug) allergies" statement. The chart shows it on its own; it is a check, not an alert.
- interaction (block for "high", warn for "medium"): an ingredient pair of pharmacy/interactions.py with
  another current course (overlapping in time, prescribed and not yet dispensed included).
- duplicate (warn): another current course with the same ingredient, or of the same class when the class
  marks duplicates (two NSAIDs, two anticoagulants).
- renal (block or warn): the latest eGFR below a threshold of pharmacy/safety/renal.py.

A course runs from `prescribed_at` to the end of its last day (prescribed date + duration, UTC dates, as
every view) or until it was stopped; a cancelled order is no course. An order being prescribed runs from
now for its duration. Findings whose window is empty are dropped.

No literal per-cent signs in this SQL: it runs with parameters (psycopg would read them as placeholders).
"""

from clinical import allergens
from pharmacy import interactions
from pharmacy.safety import classes, renal

BLOCK, WARN = "block", "warn"

TITLES = {
    "allergy_drug": "Allergy to a prescribed drug",
    "allergy_cross": "Allergy cross-sensitivity",
    "allergy_unverified": "Unconfirmed drug allergy",
    "allergy_uncoded": "Uncoded allergy",
    "allergy_unknown": "Allergies not recorded",
    "interaction": "Drug interaction",
    "duplicate": "Duplicate therapy",
    "renal": "Renal contraindication",
}
# The rules that are also patient alerts (allergy_unknown is shown by the chart's allergy section).
ALERT_RULES = tuple(name for name in TITLES if name != "allergy_unknown")


def course_end(start: str, days: str, ended: str = "NULL") -> str:
    """The end of a course, as SQL over the given expressions: the end of its last day (start date + days,
    UTC), or when it was stopped (`ended`), whichever comes first."""
    return f"LEAST((({start} AT TIME ZONE 'UTC')::date + {days} + 1)::timestamp AT TIME ZONE 'UTC', {ended})"


def literal(value) -> str:
    """A constant from our own tables as SQL: text quoted (a per-cent sign as chr(37)), numbers as they are."""
    if not isinstance(value, str):
        return str(value)
    quoted = "'" + value.replace("'", "''") + "'"
    return quoted.replace("%", "' || chr(37) || '")


# --- the reference tables the rules read (pharmacy/safety/tables.py writes them after every migrate) -----


def allergen_matches() -> list[tuple[str, str, str, str]]:
    """(allergen code, ingredient, action, why): every ingredient each coded allergen is checked against.
    `why` completes "<drug> contains ...". A block wins over a warning for the same pair."""
    found: dict[tuple[str, str], tuple[str, str]] = {}

    def add(code: str, ingredient: str, action: str, why: str) -> None:
        if (code, ingredient) not in found or (action == BLOCK and found[(code, ingredient)][0] == WARN):
            found[(code, ingredient)] = (action, why)

    def cross(code: str, allergic_to: classes.DrugClass) -> None:
        for link in classes.CROSS_SENSITIVITIES:
            if link.allergy == allergic_to.code:
                other = classes.BY_CODE[link.drug]
                for ingredient in other.ingredients:
                    add(code, ingredient, WARN, f"{ingredient}, {other.member}: cross-sensitivity with "
                        f"{allergic_to.name} ({link.note})")  # fmt: skip

    for allergen in allergens.ALLERGENS.values():
        if allergen.drug_class:
            drug_class = classes.BY_CODE[allergen.drug_class]
            for ingredient in drug_class.ingredients:
                add(allergen.code, ingredient, BLOCK, f"{ingredient}, {drug_class.member}")
            cross(allergen.code, drug_class)
        elif allergen.ingredient:
            add(allergen.code, allergen.ingredient, BLOCK, allergen.ingredient)
            for drug_class in classes.classes_of(allergen.ingredient):
                for ingredient in drug_class.ingredients:
                    if ingredient == allergen.ingredient or drug_class.allergy == classes.NONE:
                        continue
                    like = f"{ingredient}, {drug_class.member} like {allergen.ingredient}"
                    if drug_class.allergy == classes.CLASS:
                        add(allergen.code, ingredient, BLOCK, like)
                    else:
                        add(allergen.code, ingredient, WARN, f"{like}: may cross-react")
                cross(allergen.code, drug_class)
    return sorted((code, ingredient, action, why) for (code, ingredient), (action, why) in found.items())


def interaction_pairs() -> list[tuple[str, str, str, str, str, str]]:
    """(ingredient here, ingredient there, first, second, severity, effect), both directions: the order
    being checked may hold either side. `first + second` names the pair the same way from both sides."""
    rows = set()
    for first, second, severity, effect in interactions.pairs():
        rows.add((first, second, first, second, severity, effect))
        rows.add((second, first, first, second, severity, effect))
    return sorted(rows)


# --- the rules ------------------------------------------------------------------------------------------

OVERLAP = "GREATEST(x.valid_from, y.valid_from) < LEAST(x.valid_until, y.valid_until)"
SAME_TIME = "GREATEST(x.valid_from, y.valid_from), LEAST(x.valid_until, y.valid_until)"
PAIR_NAMES = "LEAST(x.generic_name, y.generic_name) || ' and ' || GREATEST(x.generic_name, y.generic_name)"
ALLERGY_TEXT = """a.substance || ' (' || concat_ws(', ', a.severity, NULLIF(a.reaction, ''),
           CASE WHEN a.verification = 'unconfirmed' THEN 'unconfirmed' END) || ')'"""


def _rules() -> dict[str, str]:
    """rule -> its SELECT of (order_key, patient_id, prescription_id, rule, action, subject, detail, message,
    valid_from, valid_until)."""
    return {
        "allergy": f"""
SELECT o.order_key, o.patient_id, o.prescription_id,
       CASE h.action WHEN 'block' THEN 'allergy_drug' ELSE 'allergy_cross' END, h.action,
       lower(a.substance) || ' / ' || o.generic_name, 'allergy:' || a.id,
       'Allergy to ' || {ALLERGY_TEXT} || ': ' || o.generic_name || ' contains ' || h.why,
       GREATEST(o.valid_from, a.recorded_at), o.valid_until
FROM allergy_hits h
JOIN orders o ON o.order_key = h.order_key
JOIN allergies a ON a.id = h.allergy_id""",
        "allergy_unverified": f"""
SELECT o.order_key, o.patient_id, o.prescription_id, 'allergy_unverified', 'warn', lower(a.substance),
       'allergy:' || a.id,
       'Allergy to ' || {ALLERGY_TEXT} || ' on record, not confirmed: confirm or refute it',
       GREATEST(o.valid_from, a.recorded_at), o.valid_until
FROM orders o
JOIN allergies a ON a.patient_id = o.patient_id
WHERE a.verification = 'unconfirmed' AND a.allergen_code <> '' AND a.category = 'drug'
  AND NOT EXISTS (SELECT 1 FROM allergy_hits h WHERE h.order_key = o.order_key AND h.allergy_id = a.id)""",
        "allergy_uncoded": f"""
SELECT o.order_key, o.patient_id, o.prescription_id, 'allergy_uncoded', 'warn', lower(a.substance),
       'allergy:' || a.id,
       'Uncoded allergy on record: "' || {ALLERGY_TEXT} || '" is free text, not checked against '
           || o.generic_name || '; check it by hand, or record it from the allergen list',
       GREATEST(o.valid_from, a.recorded_at), o.valid_until
FROM orders o
JOIN allergies a ON a.patient_id = o.patient_id
WHERE a.allergen_code = ''""",
        "allergy_unknown": """
SELECT o.order_key, o.patient_id, o.prescription_id, 'allergy_unknown', 'warn', 'allergies', 'status',
       'Allergies not yet recorded: ask the patient, then record their allergies or "no known drug allergies"',
       o.valid_from, o.valid_until
FROM orders o
WHERE NOT EXISTS (SELECT 1 FROM allergies a WHERE a.patient_id = o.patient_id)
  AND NOT EXISTS (SELECT 1 FROM clinical_allergystatement t
                  WHERE t.patient_id = o.patient_id AND t.withdrawn_at IS NULL)""",
        "interaction": f"""
SELECT x.order_key, x.patient_id, x.prescription_id, 'interaction',
       CASE t.severity WHEN 'high' THEN 'block' ELSE 'warn' END, t.first || ' + ' || t.second,
       'rx:' || y.id || ':' || t.first || ':' || t.second,
       CASE WHEN t.here = t.first THEN x.generic_name || ' with ' || y.generic_name
            ELSE y.generic_name || ' with ' || x.generic_name END
           || ' (' || t.first || ' + ' || t.second || '): ' || t.effect,
       {SAME_TIME}
FROM order_ingredients x
JOIN pharmacy_interaction_pair t ON t.here = x.ingredient
JOIN course_ingredients y ON y.patient_id = x.patient_id AND y.ingredient = t.there
    AND y.id IS DISTINCT FROM x.prescription_id
WHERE {OVERLAP}""",
        "duplicate_ingredient": f"""
SELECT x.order_key, x.patient_id, x.prescription_id, 'duplicate', 'warn',
       x.ingredient || ': ' || {PAIR_NAMES}, 'rx:' || y.id || ':' || x.ingredient,
       'Duplicate: ' || {PAIR_NAMES} || ' both contain ' || x.ingredient,
       {SAME_TIME}
FROM order_ingredients x
JOIN course_ingredients y ON y.patient_id = x.patient_id AND y.ingredient = x.ingredient
    AND y.id IS DISTINCT FROM x.prescription_id
WHERE {OVERLAP}""",
        "duplicate_class": f"""
SELECT DISTINCT ON (x.order_key, y.id, k.code) x.order_key, x.patient_id, x.prescription_id, 'duplicate', 'warn',
       k.name || ': ' || {PAIR_NAMES}, 'rx:' || y.id || ':' || k.code,
       'Duplicate therapy: two ' || k.name || ', ' || {PAIR_NAMES},
       {SAME_TIME}
FROM order_ingredients x
JOIN duplicate_classes k ON k.ingredient = x.ingredient
JOIN duplicate_classes m ON m.code = k.code AND m.ingredient <> x.ingredient
JOIN course_ingredients y ON y.patient_id = x.patient_id AND y.ingredient = m.ingredient
    AND y.id IS DISTINCT FROM x.prescription_id
WHERE {OVERLAP}
ORDER BY x.order_key, y.id, k.code""",
        "renal": """
SELECT DISTINCT ON (x.order_key, r.target) x.order_key, x.patient_id, x.prescription_id, 'renal', r.action,
       r.target, 'egfr:' || r.target,
       x.generic_name || ': latest eGFR ' || trim_scale(g.value) || ' on '
           || to_char(g.resulted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '; ' || r.target || ' ' || r.advice,
       GREATEST(x.valid_from, g.resulted_at), x.valid_until
FROM order_ingredients x
JOIN pharmacy_renal_rule r ON r.ingredient = x.ingredient
JOIN latest_egfr g ON g.patient_id = x.patient_id AND g.value < r.below
ORDER BY x.order_key, r.target, r.below""",
    }


RULE_NAMES = {  # the rule each SELECT above yields (two SELECTs make "duplicate")
    "allergy": ("allergy_drug", "allergy_cross"),
    "allergy_unverified": ("allergy_unverified",),
    "allergy_uncoded": ("allergy_uncoded",),
    "allergy_unknown": ("allergy_unknown",),
    "interaction": ("interaction",),
    "duplicate_ingredient": ("duplicate",),
    "duplicate_class": ("duplicate",),
    "renal": ("renal",),
}

COLUMNS = "order_key, patient_id, prescription_id, rule, action, subject, detail, message, valid_from, valid_until"


def ctes(*, patients: str, orders: str) -> str:
    """The WITH list the rules read. `patients`: a FROM item with a `patient_id` column (the patients in
    scope); `orders`: a SELECT of (order_key, patient_id, prescription_id, generic_name, ingredients,
    valid_from, valid_until), which may read `courses`."""
    egfr_tests = ", ".join(literal(code) for code in renal.EGFR_TESTS)
    return f"""scope AS (SELECT DISTINCT s.patient_id FROM {patients} AS s),
courses AS (
    SELECT p.id, e.patient_id, d.generic_name, d.ingredients::text[] AS ingredients, p.duration_days,
           p.prescribed_at AS valid_from,
           {course_end("p.prescribed_at", "p.duration_days", "p.ended_at")} AS valid_until
    FROM scope s
    JOIN clinical_encounter e ON e.patient_id = s.patient_id
    JOIN pharmacy_prescription p ON p.encounter_id = e.id
    JOIN pharmacy_drug d ON d.id = p.drug_id
    WHERE p.status <> 'cancelled'
),
course_ingredients AS (
    SELECT c.id, c.patient_id, c.generic_name, c.valid_from, c.valid_until, i.ingredient
    FROM courses c CROSS JOIN LATERAL unnest(c.ingredients) AS i(ingredient)
),
orders AS ({orders.strip()}),
order_ingredients AS (
    SELECT o.order_key, o.patient_id, o.prescription_id, o.generic_name, o.valid_from, o.valid_until, i.ingredient
    FROM orders o CROSS JOIN LATERAL unnest(o.ingredients) AS i(ingredient)
),
allergies AS (
    SELECT a.id, a.patient_id, a.allergen_code, a.substance, a.category, a.severity, a.reaction, a.verification,
           a.recorded_at
    FROM scope s JOIN clinical_allergy a ON a.patient_id = s.patient_id
    WHERE a.verification <> 'refuted'
),
allergy_hits AS (
    SELECT DISTINCT ON (x.order_key, a.id) x.order_key, a.id AS allergy_id, m.action, m.why
    FROM order_ingredients x
    JOIN allergies a ON a.patient_id = x.patient_id
    JOIN pharmacy_allergen_match m ON m.allergen_code = a.allergen_code AND m.ingredient = x.ingredient
    ORDER BY x.order_key, a.id, m.action, m.ingredient
),
duplicate_classes AS (
    SELECT ingredient, class_code AS code, class_name AS name FROM pharmacy_class_member WHERE duplicate
),
latest_egfr AS (
    SELECT DISTINCT ON (l.patient_id) l.patient_id, l.value, l.resulted_at
    FROM scope s JOIN clinical_labresult l ON l.patient_id = s.patient_id
    WHERE l.test_code IN ({egfr_tests})
    ORDER BY l.patient_id, l.resulted_at DESC, l.id DESC
)"""


def checked(*, patients: str, orders: str, rules: tuple[str, ...] = tuple(TITLES)) -> str:
    """The WITH list ending in `checked`: the findings (COLUMNS) of `orders` (see `ctes`) under `rules`,
    one per order, rule and detail, their window not empty. Callers add what they select from it."""
    selects = [sql.strip() for part, sql in _rules().items() if set(RULE_NAMES[part]) & set(rules)]
    union = "\nUNION ALL\n".join(f"({sql})" for sql in selects)
    return f"""{ctes(patients=patients, orders=orders)},
findings ({COLUMNS}) AS (
{union}
),
checked AS (
    SELECT DISTINCT ON (order_key, rule, detail) {COLUMNS}
    FROM findings
    WHERE valid_from < valid_until AND rule IN ({", ".join(map(literal, rules))})
    ORDER BY order_key, rule, detail
)"""


def findings_sql(*, patients: str, orders: str, rules: tuple[str, ...] = tuple(TITLES)) -> str:
    return f"WITH {checked(patients=patients, orders=orders, rules=rules)}\nSELECT {COLUMNS} FROM checked"


# --- the command side -----------------------------------------------------------------------------------

ONE_PATIENT = "(SELECT %(patient)s::bigint AS patient_id)"

NEW_ORDER = f"""
SELECT 'new'::text AS order_key, %(patient)s::bigint AS patient_id, NULL::bigint AS prescription_id, d.generic_name,
       d.ingredients::text[] AS ingredients, %(valid_from)s::timestamptz AS valid_from,
       {course_end("%(valid_from)s::timestamptz", "%(days)s::int")} AS valid_until
FROM pharmacy_drug d WHERE d.id = %(drug)s"""

# A prescription being dispensed: taken from now for its duration (a late dispense still meets the allergy
# recorded since, and the medications current now).
PRESCRIBED = f"""
SELECT 'rx:' || c.id AS order_key, c.patient_id, c.id AS prescription_id, c.generic_name, c.ingredients,
       %(valid_from)s::timestamptz AS valid_from,
       {course_end("%(valid_from)s::timestamptz", "c.duration_days")} AS valid_until
FROM courses c WHERE c.id = %(prescription)s"""

NEW_ORDER_SQL = findings_sql(patients=ONE_PATIENT, orders=NEW_ORDER)
PRESCRIBED_SQL = findings_sql(patients=ONE_PATIENT, orders=PRESCRIBED)
