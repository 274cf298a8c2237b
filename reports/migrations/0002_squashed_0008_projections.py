"""The projections' views as of migration 0008, in literal SQL: replaces 0002-0008, which imported the
projection modules and so ran whatever their SQL was on the day they were applied.

A database already at 0008 counts this one as applied; a new one gets exactly the views 0002-0008 gave
it. Written by `manage.py makeprojectionmigration` (then given `replaces` and 0003's model options).
Never edit it: change the declaration in reports/projections/ and generate the next migration.
"""

from django.db import migrations


class Migration(migrations.Migration):
    replaces = [
        ("reports", "0002_materialized_views"),
        ("reports", "0003_alter_projectionstate_options"),
        ("reports", "0004_patient_alerts_population_health"),
        ("reports", "0005_recent_and_open_views"),
        ("reports", "0006_recent_ledger"),
        ("reports", "0007_incremental_views"),
        ("reports", "0008_diagnosis_codes"),
    ]

    dependencies = [
        ("billing", "0002_recent_window_indexes"),
        ("clinical", "0005_diagnosis_recorded_at_index"),
        ("pharmacy", "0001_initial"),
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="projectionstate",
            options={
                "ordering": ["name"],
                "permissions": [
                    ("view_financial_reports", "Can view financial reports (AR aging, revenue)"),
                    ("view_clinical_reports", "Can view clinical and stock reports (diagnoses, pharmacy stock)"),
                ],
            },
        ),
        # reports_ar_open: new
        migrations.RunSQL(
            sql=[
                """CREATE TABLE reports_ar_open AS
SELECT o.payer_id, y.name AS payer_name, o.posting_date, o.due_date, o.invoices, o.invoiced, o.paid, o.credited,
       o.outstanding
FROM (
    SELECT payer_id, posting_date, due_date, count(*) AS invoices, sum(total) AS invoiced, sum(amount_paid) AS paid,
           sum(amount_credited) AS credited, sum(total - amount_paid - amount_credited) AS outstanding
    FROM billing_invoice WHERE status IN ('issued', 'partially_paid')
    GROUP BY payer_id, posting_date, due_date
) AS o JOIN billing_payer y ON y.id = o.payer_id""",
                "CREATE UNIQUE INDEX reports_ar_open_key ON reports_ar_open (payer_id, posting_date, due_date)",
            ],
            reverse_sql=[
                "DROP TABLE reports_ar_open",
            ],
        ),
        # reports_cutoff: new
        migrations.RunSQL(
            sql=[
                """CREATE OR REPLACE FUNCTION reports_cutoff(projection text) RETURNS date STABLE LANGUAGE sql AS $$
    SELECT COALESCE(max((refreshed_at AT TIME ZONE 'UTC')::date), DATE '1970-01-01')
    FROM reports_projectionstate WHERE name = projection
$$""",
            ],
            reverse_sql=[
                "DROP FUNCTION reports_cutoff(text)",
            ],
        ),
        # reports_ar_entries: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_ar_entries AS
WITH inv AS (
    SELECT i.id, i.number, i.patient_id, p.family_name || ', ' || p.given_name AS patient_name, p.mrn,
           i.payer_id, y.name AS payer_name, i.posting_date, i.due_date, i.total
    FROM billing_invoice i
    JOIN clinical_patient p ON p.id = i.patient_id
    JOIN billing_payer y ON y.id = i.payer_id
    WHERE i.status IN ('issued', 'partially_paid', 'paid')
)
SELECT 'i' || inv.id AS entry, inv.id AS invoice_id, inv.number, inv.patient_id, inv.patient_name, inv.mrn,
       inv.payer_id, inv.payer_name, inv.posting_date, inv.due_date, inv.posting_date AS entry_date,
       'invoiced'::text AS kind, inv.total AS amount
FROM inv
UNION ALL
SELECT 'p' || m.id, inv.id, inv.number, inv.patient_id, inv.patient_name, inv.mrn, inv.payer_id, inv.payer_name,
       inv.posting_date, inv.due_date, m.paid_on, 'paid', -m.amount
FROM billing_payment m JOIN inv ON inv.id = m.invoice_id
UNION ALL
SELECT 'c' || c.id, inv.id, inv.number, inv.patient_id, inv.patient_name, inv.mrn, inv.payer_id, inv.payer_name,
       inv.posting_date, inv.due_date, c.credited_on, 'credited', -c.amount
FROM billing_creditnote c JOIN inv ON inv.id = c.invoice_id
WITH DATA""",
                "CREATE UNIQUE INDEX reports_ar_entries_key ON reports_ar_entries (entry)",
                "CREATE INDEX reports_ar_entries_invoice_id ON reports_ar_entries (invoice_id)",
                "CREATE INDEX reports_ar_entries_payer_id ON reports_ar_entries (payer_id)",
                "CREATE INDEX reports_ar_entries_patient_id ON reports_ar_entries (patient_id)",
                "CREATE INDEX reports_ar_entries_posting_date ON reports_ar_entries (posting_date)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_ar_entries",
            ],
        ),
        # reports_ar_entries_recent: new
        migrations.RunSQL(
            sql=[
                """CREATE TABLE reports_ar_entries_recent AS
WITH inv AS (
    SELECT i.id, i.number, i.patient_id, p.family_name || ', ' || p.given_name AS patient_name, p.mrn,
           i.payer_id, y.name AS payer_name, i.posting_date, i.due_date, i.total
    FROM billing_invoice i
    JOIN clinical_patient p ON p.id = i.patient_id
    JOIN billing_payer y ON y.id = i.payer_id
    WHERE i.status IN ('issued', 'partially_paid', 'paid')
      AND i.id IN (SELECT id FROM billing_invoice WHERE posting_date >= reports_cutoff('ar_ledger')
                   UNION SELECT invoice_id FROM billing_payment WHERE paid_on >= reports_cutoff('ar_ledger')
                   UNION SELECT invoice_id FROM billing_creditnote WHERE credited_on >= reports_cutoff('ar_ledger'))
)
SELECT 'i' || inv.id AS entry, inv.id AS invoice_id, inv.number, inv.patient_id, inv.patient_name, inv.mrn,
       inv.payer_id, inv.payer_name, inv.posting_date, inv.due_date, inv.posting_date AS entry_date,
       'invoiced'::text AS kind, inv.total AS amount
FROM inv WHERE inv.posting_date >= reports_cutoff('ar_ledger')
UNION ALL
SELECT 'p' || m.id, inv.id, inv.number, inv.patient_id, inv.patient_name, inv.mrn, inv.payer_id, inv.payer_name,
       inv.posting_date, inv.due_date, m.paid_on, 'paid', -m.amount
FROM billing_payment m JOIN inv ON inv.id = m.invoice_id WHERE m.paid_on >= reports_cutoff('ar_ledger')
UNION ALL
SELECT 'c' || c.id, inv.id, inv.number, inv.patient_id, inv.patient_name, inv.mrn, inv.payer_id, inv.payer_name,
       inv.posting_date, inv.due_date, c.credited_on, 'credited', -c.amount
FROM billing_creditnote c JOIN inv ON inv.id = c.invoice_id WHERE c.credited_on >= reports_cutoff('ar_ledger')""",
                "CREATE UNIQUE INDEX reports_ar_entries_recent_key ON reports_ar_entries_recent (entry)",
                "CREATE INDEX reports_ar_entries_recent_invoice_id ON reports_ar_entries_recent (invoice_id)",
            ],
            reverse_sql=[
                "DROP TABLE reports_ar_entries_recent",
            ],
        ),
        # reports_open_encounters: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_open_encounters AS
SELECT e.department_id, dep.name AS department_name, e.type, count(*) AS open_encounters
FROM clinical_encounter e JOIN clinical_department dep ON dep.id = e.department_id
WHERE e.status = 'open'
GROUP BY e.department_id, dep.name, e.type
WITH DATA""",
                "CREATE UNIQUE INDEX reports_open_encounters_key ON reports_open_encounters (department_id, type)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_open_encounters",
            ],
        ),
        # reports_diagnosis_monthly: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_diagnosis_monthly AS
SELECT date_trunc('month', d.recorded_at AT TIME ZONE 'UTC')::date AS month, d.icd10_code AS code,
       c.description, c.block, c.chapter, c.chapter_title, e.department_id, dep.name AS department_name,
       count(*) AS diagnoses
FROM clinical_diagnosis d
JOIN clinical_encounter e ON e.id = d.encounter_id
JOIN clinical_icd10code c ON c.code = d.icd10_code
JOIN clinical_department dep ON dep.id = e.department_id
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
WITH DATA""",
                "CREATE UNIQUE INDEX reports_diagnosis_monthly_key ON reports_diagnosis_monthly (month, code, department_id)",
                "CREATE INDEX reports_diagnosis_monthly_month ON reports_diagnosis_monthly (month)",
                "CREATE INDEX reports_diagnosis_monthly_code ON reports_diagnosis_monthly (code)",
                "CREATE INDEX reports_diagnosis_monthly_department_id ON reports_diagnosis_monthly (department_id)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_diagnosis_monthly",
            ],
        ),
        # reports_diagnosis_recent: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_diagnosis_recent AS
SELECT date_trunc('month', d.recorded_at AT TIME ZONE 'UTC')::date AS month, d.icd10_code AS code,
       c.description, c.block, c.chapter, c.chapter_title, e.department_id, dep.name AS department_name,
       count(*) AS diagnoses
FROM clinical_diagnosis d
JOIN clinical_encounter e ON e.id = d.encounter_id
JOIN clinical_icd10code c ON c.code = d.icd10_code
JOIN clinical_department dep ON dep.id = e.department_id
WHERE d.recorded_at >= date_trunc('month', reports_cutoff('diagnosis_history'))::date
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
WITH DATA""",
                "CREATE UNIQUE INDEX reports_diagnosis_recent_key ON reports_diagnosis_recent (month, code, department_id)",
                "CREATE INDEX reports_diagnosis_recent_month ON reports_diagnosis_recent (month)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_diagnosis_recent",
            ],
        ),
        # reports_diagnosis_codes: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_diagnosis_codes AS
SELECT month, code, max(description) AS description, sum(diagnoses)::bigint AS diagnoses
               FROM reports_diagnosis_recent GROUP BY month, code
WITH DATA""",
                "CREATE UNIQUE INDEX reports_diagnosis_codes_key ON reports_diagnosis_codes (month, code)",
                "CREATE INDEX reports_diagnosis_codes_month_diagnoses_code ON reports_diagnosis_codes (month, diagnoses DESC, code)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_diagnosis_codes",
            ],
        ),
        # reports_patient_alerts: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_patient_alerts AS
WITH courses AS (
    SELECT p.id, e.patient_id, d.generic_name, d.ingredients::text[] AS ingredients,
           p.prescribed_at AS valid_from,
           ((p.prescribed_at AT TIME ZONE 'UTC')::date + p.duration_days + 1)::timestamp AT TIME ZONE 'UTC'
               AS valid_until
    FROM pharmacy_prescription p
    JOIN clinical_encounter e ON e.id = p.encounter_id
    JOIN pharmacy_drug d ON d.id = p.drug_id
    WHERE p.status <> 'cancelled'
),
interacting AS (  -- one row per course and ingredient the interaction table names
    SELECT c.id, c.patient_id, c.generic_name, c.valid_from, c.valid_until, i.ingredient
    FROM courses c CROSS JOIN LATERAL unnest(c.ingredients) AS i(ingredient)
    WHERE i.ingredient IN ('amiloride', 'amiodarone', 'aspirin', 'captopril', 'clarithromycin', 'clopidogrel', 'diclofenac', 'digoxin', 'enalapril', 'eplerenone', 'erythromycin', 'esomeprazole', 'glyceryl trinitrate', 'ibuprofen', 'isosorbide dinitrate', 'isosorbide mononitrate', 'itraconazole', 'ketoconazole', 'lisinopril', 'methotrexate', 'naproxen', 'nitroglycerin', 'omeprazole', 'perindopril', 'potassium chloride', 'ramipril', 'sildenafil', 'simvastatin', 'spironolactone', 'tadalafil', 'trimethoprim', 'vardenafil', 'verapamil', 'warfarin')
)
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
)
 UNION ALL SELECT x.patient_id, 'interaction', 'interaction:' || x.id || ':' || y.id || ':' || t.a || ':' || t.b,
       t.severity, t.a || ' + ' || t.b,
       x.generic_name || ' with ' || y.generic_name || ' (' || t.a || ' + ' || t.b || '): ' || t.effect,
       GREATEST(x.valid_from, y.valid_from), LEAST(x.valid_until, y.valid_until)
FROM interacting x
JOIN (VALUES ('warfarin', 'aspirin', 'high', 'bleeding risk'), ('warfarin', 'diclofenac', 'high', 'bleeding risk'), ('warfarin', 'ibuprofen', 'high', 'bleeding risk'), ('warfarin', 'naproxen', 'high', 'bleeding risk'), ('simvastatin', 'clarithromycin', 'high', 'myopathy and rhabdomyolysis (CYP3A4 inhibition)'), ('simvastatin', 'erythromycin', 'high', 'myopathy and rhabdomyolysis (CYP3A4 inhibition)'), ('simvastatin', 'itraconazole', 'high', 'myopathy and rhabdomyolysis (CYP3A4 inhibition)'), ('simvastatin', 'ketoconazole', 'high', 'myopathy and rhabdomyolysis (CYP3A4 inhibition)'), ('captopril', 'amiloride', 'medium', 'hyperkalaemia; monitor potassium'), ('captopril', 'eplerenone', 'medium', 'hyperkalaemia; monitor potassium'), ('captopril', 'potassium chloride', 'medium', 'hyperkalaemia; monitor potassium'), ('captopril', 'spironolactone', 'medium', 'hyperkalaemia; monitor potassium'), ('enalapril', 'amiloride', 'medium', 'hyperkalaemia; monitor potassium'), ('enalapril', 'eplerenone', 'medium', 'hyperkalaemia; monitor potassium'), ('enalapril', 'potassium chloride', 'medium', 'hyperkalaemia; monitor potassium'), ('enalapril', 'spironolactone', 'medium', 'hyperkalaemia; monitor potassium'), ('lisinopril', 'amiloride', 'medium', 'hyperkalaemia; monitor potassium'), ('lisinopril', 'eplerenone', 'medium', 'hyperkalaemia; monitor potassium'), ('lisinopril', 'potassium chloride', 'medium', 'hyperkalaemia; monitor potassium'), ('lisinopril', 'spironolactone', 'medium', 'hyperkalaemia; monitor potassium'), ('perindopril', 'amiloride', 'medium', 'hyperkalaemia; monitor potassium'), ('perindopril', 'eplerenone', 'medium', 'hyperkalaemia; monitor potassium'), ('perindopril', 'potassium chloride', 'medium', 'hyperkalaemia; monitor potassium'), ('perindopril', 'spironolactone', 'medium', 'hyperkalaemia; monitor potassium'), ('ramipril', 'amiloride', 'medium', 'hyperkalaemia; monitor potassium'), ('ramipril', 'eplerenone', 'medium', 'hyperkalaemia; monitor potassium'), ('ramipril', 'potassium chloride', 'medium', 'hyperkalaemia; monitor potassium'), ('ramipril', 'spironolactone', 'medium', 'hyperkalaemia; monitor potassium'), ('sildenafil', 'glyceryl trinitrate', 'high', 'severe hypotension'), ('sildenafil', 'isosorbide dinitrate', 'high', 'severe hypotension'), ('sildenafil', 'isosorbide mononitrate', 'high', 'severe hypotension'), ('sildenafil', 'nitroglycerin', 'high', 'severe hypotension'), ('tadalafil', 'glyceryl trinitrate', 'high', 'severe hypotension'), ('tadalafil', 'isosorbide dinitrate', 'high', 'severe hypotension'), ('tadalafil', 'isosorbide mononitrate', 'high', 'severe hypotension'), ('tadalafil', 'nitroglycerin', 'high', 'severe hypotension'), ('vardenafil', 'glyceryl trinitrate', 'high', 'severe hypotension'), ('vardenafil', 'isosorbide dinitrate', 'high', 'severe hypotension'), ('vardenafil', 'isosorbide mononitrate', 'high', 'severe hypotension'), ('vardenafil', 'nitroglycerin', 'high', 'severe hypotension'), ('methotrexate', 'trimethoprim', 'high', 'bone-marrow suppression (antifolate)'), ('clopidogrel', 'omeprazole', 'medium', 'reduced antiplatelet effect'), ('clopidogrel', 'esomeprazole', 'medium', 'reduced antiplatelet effect'), ('digoxin', 'amiodarone', 'medium', 'digoxin toxicity'), ('digoxin', 'clarithromycin', 'medium', 'digoxin toxicity'), ('digoxin', 'verapamil', 'medium', 'digoxin toxicity')) AS t(a, b, severity, effect) ON t.a = x.ingredient
JOIN interacting y ON y.ingredient = t.b AND y.patient_id = x.patient_id AND y.id <> x.id
WHERE GREATEST(x.valid_from, y.valid_from) < LEAST(x.valid_until, y.valid_until)
 UNION ALL SELECT l.patient_id, 'critical_lab', 'lab:' || l.id, 'high', l.test_code,
       l.test_name || ' ' || trim_scale(l.value) || ' ' || l.unit || ' is critically '
           || CASE l.flag WHEN 'critical_low' THEN 'low' ELSE 'high' END
           || ' (resulted ' || to_char(l.resulted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC)',
       l.resulted_at, l.resulted_at + interval '7 days'
FROM clinical_labresult l
WHERE l.flag IN ('critical_low', 'critical_high')
 UNION ALL SELECT s.patient_id, 'abnormal_vitals', 'vitals:' || s.vitals_id || ':' || s.sign || ':' || t.op,
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
JOIN (VALUES ('spo2', '<', 90, 'below 90 %'), ('systolic', '>=', 180, '180 mmHg or more'), ('systolic', '<', 90, 'below 90 mmHg'), ('diastolic', '>=', 120, '120 mmHg or more'), ('pulse', '>', 130, 'above 130 /min'), ('pulse', '<', 40, 'below 40 /min'), ('temperature', '>=', 39.5, '39.5 °C or more'), ('temperature', '<', 35.0, 'below 35.0 °C'), ('respiratory_rate', '>=', 30, '30 /min or more')) AS t(sign, op, threshold, meaning) ON t.sign = s.sign
JOIN (VALUES ('spo2', 'SpO₂', '%'), ('systolic', 'Systolic pressure', 'mmHg'), ('diastolic', 'Diastolic pressure', 'mmHg'), ('pulse', 'Pulse', '/min'), ('temperature', 'Temperature', '°C'), ('respiratory_rate', 'Respiratory rate', '/min')) AS u(sign, label, unit) ON u.sign = s.sign
WHERE CASE t.op WHEN '<' THEN s.value < t.threshold WHEN '>' THEN s.value > t.threshold
                ELSE s.value >= t.threshold END
 UNION ALL SELECT dm.patient_id, 'care_gap_hba1c', 'gap:hba1c:' || dm.patient_id, 'low', 'hba1c',
       CASE WHEN a.resulted_at IS NULL THEN 'Diabetes and no HbA1c on record'
            ELSE 'Diabetes; last HbA1c ' || trim_scale(a.value) || ' % on '
                 || to_char(a.resulted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ', over 6 months ago'
       END,
       COALESCE(a.resulted_at + interval '6 months', dm.diagnosed_at), NULL::timestamptz
FROM (
    SELECT e.patient_id, min(d.recorded_at) AS diagnosed_at
    FROM clinical_diagnosis d JOIN clinical_encounter e ON e.id = d.encounter_id
    WHERE left(d.icd10_code, 3) IN ('E10', 'E11') AND d.resolved_at IS NULL
    GROUP BY e.patient_id
) AS dm
LEFT JOIN (
    SELECT DISTINCT ON (patient_id) patient_id, value, resulted_at
    FROM clinical_labresult WHERE test_code = '4548-4'
    ORDER BY patient_id, resulted_at DESC, id DESC
) AS a ON a.patient_id = dm.patient_id
WITH DATA""",
                "CREATE UNIQUE INDEX reports_patient_alerts_key ON reports_patient_alerts (alert_key)",
                "CREATE INDEX reports_patient_alerts_patient_id ON reports_patient_alerts (patient_id)",
                "CREATE INDEX reports_patient_alerts_rule ON reports_patient_alerts (rule)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_patient_alerts",
            ],
        ),
        # reports_pharmacy_drugs: new
        migrations.RunSQL(
            sql=[
                """CREATE TABLE reports_pharmacy_drugs AS
SELECT d.id AS drug_id, d.code, d.generic_name, d.strength, d.unit, d.reorder_level,
       COALESCE(sum(b.quantity_on_hand) FILTER (WHERE b.expiry_date >= CURRENT_DATE), 0) AS on_hand,
       COALESCE(sum(b.quantity_on_hand) FILTER (WHERE b.expiry_date < CURRENT_DATE), 0) AS expired_on_hand,
       min(b.expiry_date) FILTER (WHERE b.expiry_date >= CURRENT_DATE AND b.quantity_on_hand > 0) AS earliest_expiry,
       COALESCE(sum(b.quantity_on_hand * b.unit_cost) FILTER (WHERE b.expiry_date >= CURRENT_DATE), 0) AS stock_value,
       COALESCE(sum(b.quantity_on_hand) FILTER (WHERE b.expiry_date >= CURRENT_DATE), 0) <= d.reorder_level
           AS below_reorder
FROM pharmacy_drug d
LEFT JOIN pharmacy_stockbatch b ON b.drug_id = d.id
WHERE d.active
GROUP BY d.id""",
                "CREATE UNIQUE INDEX reports_pharmacy_drugs_key ON reports_pharmacy_drugs (drug_id)",
                "CREATE INDEX reports_pharmacy_drugs_below_reorder ON reports_pharmacy_drugs (below_reorder)",
            ],
            reverse_sql=[
                "DROP TABLE reports_pharmacy_drugs",
            ],
        ),
        # reports_pharmacy_batches: new
        migrations.RunSQL(
            sql=[
                """CREATE TABLE reports_pharmacy_batches AS
SELECT b.id AS batch_id, b.drug_id, d.code, d.generic_name, d.strength, b.lot_number, b.expiry_date,
       b.quantity_on_hand, b.unit_cost, b.quantity_on_hand * b.unit_cost AS value
FROM pharmacy_stockbatch b JOIN pharmacy_drug d ON d.id = b.drug_id
WHERE b.quantity_on_hand > 0""",
                "CREATE UNIQUE INDEX reports_pharmacy_batches_key ON reports_pharmacy_batches (batch_id)",
                "CREATE INDEX reports_pharmacy_batches_expiry_date ON reports_pharmacy_batches (expiry_date)",
                "CREATE INDEX reports_pharmacy_batches_drug_id ON reports_pharmacy_batches (drug_id)",
            ],
            reverse_sql=[
                "DROP TABLE reports_pharmacy_batches",
            ],
        ),
        # reports_population_health_monthly: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_population_health_monthly AS
WITH under_care AS (
    SELECT DISTINCT date_trunc('month', started_at AT TIME ZONE 'UTC')::date AS month, department_id, patient_id
    FROM clinical_encounter
), patient_months AS (
    SELECT DISTINCT month, patient_id FROM under_care
), dx AS (
    SELECT e.patient_id, left(d.icd10_code, 3) IN ('E10', 'E11') AS diabetes, d.recorded_at, d.resolved_at
    FROM clinical_diagnosis d JOIN clinical_encounter e ON e.id = d.encounter_id
    WHERE left(d.icd10_code, 3) IN ('E10', 'E11', 'I10', 'I11', 'I12', 'I13', 'I15', 'I16')
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
    FROM clinical_labresult WHERE test_code = '4548-4'
), bp AS (
    SELECT e.patient_id, v.systolic, v.diastolic, v.recorded_at,
           lead(v.recorded_at) OVER (PARTITION BY e.patient_id ORDER BY v.recorded_at, v.id) AS replaced_at
    FROM clinical_vitals v JOIN clinical_encounter e ON e.id = v.encounter_id
    WHERE v.systolic IS NOT NULL AND v.diastolic IS NOT NULL
), status AS (
    -- The latest value as of month end is the one resulted before it and not yet replaced by then.
    SELECT c.month, c.patient_id, c.diabetic, c.hypertensive,
           c.diabetic AND a.value < 7 AS diabetes_controlled,
           c.diabetic AND a.value IS NULL AS diabetes_untested,
           c.hypertensive AND b.systolic < 140 AND b.diastolic < 90
               AS hypertension_controlled,
           c.hypertensive AND b.systolic IS NULL AS hypertension_unmeasured
    FROM chronic c
    LEFT JOIN a1c a ON c.diabetic AND a.patient_id = c.patient_id AND a.resulted_at < c.month_end
        AND (a.replaced_at IS NULL OR a.replaced_at >= c.month_end)
        AND a.resulted_at >= c.month_end - interval '12 months'
    LEFT JOIN bp b ON c.hypertensive AND b.patient_id = c.patient_id AND b.recorded_at < c.month_end
        AND (b.replaced_at IS NULL OR b.replaced_at >= c.month_end)
        AND b.recorded_at >= c.month_end - interval '12 months'
), control AS (
    SELECT month, department_id, count(*) AS patients, count(*) FILTER (WHERE s.diabetic) AS diabetes_patients, count(*) FILTER (WHERE s.diabetes_controlled) AS diabetes_controlled, count(*) FILTER (WHERE s.diabetes_untested) AS diabetes_untested, count(*) FILTER (WHERE s.hypertensive) AS hypertension_patients, count(*) FILTER (WHERE s.hypertension_controlled) AS hypertension_controlled, count(*) FILTER (WHERE s.hypertension_unmeasured) AS hypertension_unmeasured
    FROM under_care u LEFT JOIN status s USING (month, patient_id)
    GROUP BY month, department_id
    UNION ALL
    SELECT month, 0, count(*), count(*) FILTER (WHERE s.diabetic) AS diabetes_patients, count(*) FILTER (WHERE s.diabetes_controlled) AS diabetes_controlled, count(*) FILTER (WHERE s.diabetes_untested) AS diabetes_untested, count(*) FILTER (WHERE s.hypertensive) AS hypertension_patients, count(*) FILTER (WHERE s.hypertension_controlled) AS hypertension_controlled, count(*) FILTER (WHERE s.hypertension_unmeasured) AS hypertension_unmeasured
    FROM patient_months pm LEFT JOIN status s USING (month, patient_id)
    GROUP BY month
), inpatient AS (
    SELECT id, patient_id, department_id, started_at, ended_at FROM clinical_encounter WHERE type = 'inpatient'
), readmitted AS (
    SELECT DISTINCT d.id
    FROM inpatient d JOIN inpatient r ON r.patient_id = d.patient_id AND r.id <> d.id
    WHERE d.ended_at IS NOT NULL AND r.started_at > d.ended_at
      AND r.started_at <= d.ended_at + interval '30 days'
), readmissions AS (
    SELECT month, COALESCE(department_id, 0) AS department_id, count(*) AS discharges,
           count(readmitted_id) AS readmissions_30d
    FROM (
        SELECT date_trunc('month', d.ended_at AT TIME ZONE 'UTC')::date AS month, d.department_id,
               x.id AS readmitted_id
        FROM inpatient d LEFT JOIN readmitted x ON x.id = d.id
        WHERE d.ended_at IS NOT NULL
    ) AS discharged
    GROUP BY GROUPING SETS ((month, department_id), (month))
)
SELECT COALESCE(c.month, r.month) AS month, COALESCE(c.department_id, r.department_id) AS department_id,
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
LEFT JOIN clinical_department dep ON dep.id = COALESCE(c.department_id, r.department_id)
WITH DATA""",
                "CREATE UNIQUE INDEX reports_population_health_monthly_key ON reports_population_health_monthly (month, department_id)",
                "CREATE INDEX reports_population_health_monthly_department_id_month ON reports_population_health_monthly (department_id, month)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_population_health_monthly",
            ],
        ),
        # reports_revenue_daily: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_revenue_daily AS
WITH lines AS (
    SELECT l.invoice_id, COALESCE(s.department_id, 0) AS department_id, COALESCE(l.service_id, 0) AS service_id,
           i.payer_id, i.posting_date, l.line_total, i.total
    FROM billing_invoiceline l
    JOIN billing_invoice i ON i.id = l.invoice_id
    LEFT JOIN billing_service s ON s.id = l.service_id
    WHERE i.status IN ('issued', 'partially_paid', 'paid')
), events AS (
    SELECT posting_date AS day, department_id, service_id, payer_id,
           line_total AS invoiced, 0::numeric AS collected, 0::numeric AS credited
    FROM lines
    UNION ALL
    SELECT p.paid_on, l.department_id, l.service_id, l.payer_id, 0, p.amount * l.line_total / l.total, 0
    FROM billing_payment p JOIN lines l ON l.invoice_id = p.invoice_id WHERE l.total > 0
    UNION ALL
    SELECT c.credited_on, l.department_id, l.service_id, l.payer_id, 0, 0, c.amount * l.line_total / l.total
    FROM billing_creditnote c JOIN lines l ON l.invoice_id = c.invoice_id WHERE l.total > 0
)
SELECT e.day, e.department_id, COALESCE(dep.name, 'Other charges') AS department_name,
       e.service_id, COALESCE(s.code || ' ' || s.name, 'Other charges (drugs, ad hoc)') AS service_name,
       e.payer_id, y.name AS payer_name,
       sum(e.invoiced) AS invoiced, sum(e.collected) AS collected, sum(e.credited) AS credited
FROM events e
LEFT JOIN clinical_department dep ON dep.id = e.department_id
LEFT JOIN billing_service s ON s.id = e.service_id
JOIN billing_payer y ON y.id = e.payer_id
GROUP BY e.day, e.department_id, dep.name, e.service_id, s.code, s.name, e.payer_id, y.name
WITH DATA""",
                "CREATE UNIQUE INDEX reports_revenue_daily_key ON reports_revenue_daily (day, department_id, service_id, payer_id)",
                "CREATE INDEX reports_revenue_daily_department_id ON reports_revenue_daily (department_id)",
                "CREATE INDEX reports_revenue_daily_payer_id ON reports_revenue_daily (payer_id)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_revenue_daily",
            ],
        ),
        # reports_revenue_monthly: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_revenue_monthly AS
SELECT date_trunc('month', day)::date AS day, department_id, department_name, service_id, service_name,
       payer_id, payer_name, sum(invoiced) AS invoiced, sum(collected) AS collected, sum(credited) AS credited
FROM reports_revenue_daily WHERE day < date_trunc('month', current_date)
GROUP BY 1, 2, 3, 4, 5, 6, 7
WITH DATA""",
                "CREATE UNIQUE INDEX reports_revenue_monthly_key ON reports_revenue_monthly (day, department_id, service_id, payer_id)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_revenue_monthly",
            ],
        ),
        # reports_revenue_recent: new
        migrations.RunSQL(
            sql=[
                """CREATE MATERIALIZED VIEW reports_revenue_recent AS
WITH lines AS (
    SELECT l.invoice_id, COALESCE(s.department_id, 0) AS department_id, COALESCE(l.service_id, 0) AS service_id,
           i.payer_id, i.posting_date, l.line_total, i.total
    FROM billing_invoiceline l
    JOIN billing_invoice i ON i.id = l.invoice_id
    LEFT JOIN billing_service s ON s.id = l.service_id
    WHERE i.status IN ('issued', 'partially_paid', 'paid')
      AND i.id IN (SELECT id FROM billing_invoice WHERE posting_date >= reports_cutoff('revenue_history')
                   UNION SELECT invoice_id FROM billing_payment WHERE paid_on >= reports_cutoff('revenue_history')
                   UNION SELECT invoice_id FROM billing_creditnote WHERE credited_on >= reports_cutoff('revenue_history'))
), events AS (
    SELECT posting_date AS day, department_id, service_id, payer_id,
           line_total AS invoiced, 0::numeric AS collected, 0::numeric AS credited
    FROM lines WHERE posting_date >= reports_cutoff('revenue_history')
    UNION ALL
    SELECT p.paid_on, l.department_id, l.service_id, l.payer_id, 0, p.amount * l.line_total / l.total, 0
    FROM billing_payment p JOIN lines l ON l.invoice_id = p.invoice_id WHERE l.total > 0 AND p.paid_on >= reports_cutoff('revenue_history')
    UNION ALL
    SELECT c.credited_on, l.department_id, l.service_id, l.payer_id, 0, 0, c.amount * l.line_total / l.total
    FROM billing_creditnote c JOIN lines l ON l.invoice_id = c.invoice_id WHERE l.total > 0 AND c.credited_on >= reports_cutoff('revenue_history')
)
SELECT e.day, e.department_id, COALESCE(dep.name, 'Other charges') AS department_name,
       e.service_id, COALESCE(s.code || ' ' || s.name, 'Other charges (drugs, ad hoc)') AS service_name,
       e.payer_id, y.name AS payer_name,
       sum(e.invoiced) AS invoiced, sum(e.collected) AS collected, sum(e.credited) AS credited
FROM events e
LEFT JOIN clinical_department dep ON dep.id = e.department_id
LEFT JOIN billing_service s ON s.id = e.service_id
JOIN billing_payer y ON y.id = e.payer_id
GROUP BY e.day, e.department_id, dep.name, e.service_id, s.code, s.name, e.payer_id, y.name
WITH DATA""",
                "CREATE UNIQUE INDEX reports_revenue_recent_key ON reports_revenue_recent (day, department_id, service_id, payer_id)",
                "CREATE INDEX reports_revenue_recent_day ON reports_revenue_recent (day)",
            ],
            reverse_sql=[
                "DROP MATERIALIZED VIEW reports_revenue_recent",
            ],
        ),
    ]
