"""generate_data: a small deterministic hospital that keeps every rule of the write model."""

import datetime
import hashlib

from django.core.management import call_command
from django.db import connections

from reports.engine.reconcile import reconcile_all
from tests.support.stack import on_stack

pytestmark = on_stack
AS_OF = datetime.date(2026, 6, 15)

CHECKS = {
    "stock equals its ledger": """
        SELECT count(*) FROM pharmacy_stockbatch b
        WHERE quantity_on_hand <> (SELECT COALESCE(sum(quantity), 0) FROM pharmacy_stockmovement m
                                   WHERE m.batch_id = b.id)""",
    "paid equals payments": """
        SELECT count(*) FROM billing_invoice i
        WHERE amount_paid <> (SELECT COALESCE(sum(amount), 0) FROM billing_payment p WHERE p.invoice_id = i.id)""",
    "credited equals credit notes": """
        SELECT count(*) FROM billing_invoice i
        WHERE amount_credited <> (SELECT COALESCE(sum(amount), 0) FROM billing_creditnote c
                                  WHERE c.invoice_id = i.id)""",
    "totals equal their lines": """
        SELECT count(*) FROM billing_invoice i
        WHERE subtotal - discount_total <> (SELECT sum(line_total) FROM billing_invoiceline l
                                            WHERE l.invoice_id = i.id)""",
    "status follows the amounts": """
        SELECT count(*) FROM billing_invoice
        WHERE (status = 'paid') <> (status NOT IN ('draft', 'void') AND total = amount_paid + amount_credited)""",
    "numbers are gap-free per year and the counters agree": """
        SELECT count(*) FROM billing_invoicecounter c
        WHERE c.last_number <> (SELECT count(*) FROM billing_invoice WHERE number LIKE 'INV-' || c.year || '-%%')
           OR c.last_number <> (SELECT max(substr(number, 10)::int) FROM billing_invoice
                                WHERE number LIKE 'INV-' || c.year || '-%%')""",
    "dispenses charge their line": """
        SELECT count(*) FROM pharmacy_dispense d JOIN billing_invoiceline l ON l.id = d.invoice_line_id
        WHERE l.quantity <> d.quantity""",
    "lab results belong to their encounter's patient": """
        SELECT count(*) FROM clinical_labresult r JOIN clinical_encounter e ON e.id = r.encounter_id
        WHERE r.patient_id <> e.patient_id""",
    "a bed assignment is its admission's patient's": """
        SELECT count(*) FROM inpatient_bedassignment ba JOIN inpatient_admission a ON a.id = ba.admission_id
        WHERE ba.patient_id <> a.patient_id""",
    "admissions are their patient's inpatient encounters": """
        SELECT count(*) FROM inpatient_admission a JOIN clinical_encounter e ON e.id = a.encounter_id
        WHERE e.patient_id <> a.patient_id OR e.type <> 'inpatient'
           OR (a.status = 'admitted') <> (e.status = 'open') OR a.discharged_at IS DISTINCT FROM e.ended_at""",
    "a bed is occupied exactly while someone is in it": """
        SELECT count(*) FROM inpatient_bed b
        WHERE (b.status = 'occupied') <> EXISTS (SELECT 1 FROM inpatient_bedassignment ba
                                                 WHERE ba.bed_id = b.id AND ba.ended_at IS NULL)""",
    "every midnight in a bed is charged once": f"""
        SELECT (SELECT count(*) FROM inpatient_beddaycharge) - count(*)
        FROM inpatient_bedassignment ba
        CROSS JOIN LATERAL generate_series(
            date_trunc('day', (ba.started_at AT TIME ZONE 'UTC') - interval '1 microsecond') + interval '1 day',
            LEAST(COALESCE((ba.ended_at AT TIME ZONE 'UTC') - interval '1 microsecond', '{AS_OF}'), '{AS_OF}'),
            interval '1 day') AS m""",
    "a slot's counter equals its live bookings": """
        SELECT count(*) FROM scheduling_slot s
        WHERE booked <> (SELECT count(*) FROM scheduling_appointment a
                         WHERE a.slot_id = s.id AND a.status <> 'cancelled')""",
    "an appointment's times are its slot's": """
        SELECT count(*) FROM scheduling_appointment a JOIN scheduling_slot s ON s.id = a.slot_id
        WHERE (a.starts_at, a.ends_at, a.day, a.department_id, a.provider_id)
              <> (s.starts_at, s.ends_at, s.day, s.department_id, s.provider_id)""",
    "a queue entry is its encounter's patient, and a checked-in booking has one": """
        SELECT count(*) FROM scheduling_queueentry q JOIN clinical_encounter e ON e.id = q.encounter_id
        LEFT JOIN scheduling_appointment a ON a.id = q.appointment_id
        WHERE e.patient_id <> q.patient_id
           OR (a.id IS NOT NULL AND (a.status <> 'checked_in' OR a.patient_id <> q.patient_id))
           OR (q.appointment_id IS NOT NULL AND q.provider_id <> e.attending_id)""",
    "every checked-in booking is in a queue": """
        SELECT count(*) FROM scheduling_appointment a
        WHERE a.status = 'checked_in'
          AND NOT EXISTS (SELECT 1 FROM scheduling_queueentry q WHERE q.appointment_id = a.id)""",
    "no patient both denies drug allergies and has one": """
        SELECT count(*) FROM clinical_allergystatement s JOIN clinical_allergy a ON a.patient_id = s.patient_id
        WHERE s.withdrawn_at IS NULL AND a.category = 'drug'""",
    "the MRN sequence is past every MRN": """
        SELECT count(*) FROM clinical_patient
        WHERE substr(mrn, 4)::bigint >= (SELECT last_value FROM clinical_patient_mrn_seq)""",
}

FINGERPRINT = """
SELECT md5(string_agg(concat_ws('|', number, patient_id, status, posting_date, total, amount_paid), ',' ORDER BY id))
FROM billing_invoice
"""


def fingerprint() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute(FINGERPRINT)
        invoices = cursor.fetchone()[0]
        cursor.execute("SELECT md5(string_agg(icd10_code, ',' ORDER BY id)) FROM clinical_diagnosis")
        diagnoses = cursor.fetchone()[0]
    return hashlib.sha256(f"{invoices}{diagnoses}".encode()).hexdigest()


def test_a_small_hospital_keeps_every_rule_and_the_same_seed_gives_the_same_rows():
    call_command("generate_data", scale=0.001, seed=7, as_of=AS_OF)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM billing_invoice")
        assert cursor.fetchone()[0] == 1000
        cursor.execute("SELECT count(*) FROM billing_invoiceline")
        assert cursor.fetchone()[0] == 3000
        cursor.execute("SELECT count(*) FROM clinical_vitals")
        assert cursor.fetchone()[0] == 700
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE test_code = '4548-4') FROM clinical_labresult")
        labs, hba1c = cursor.fetchone()
        assert labs > 100 and hba1c > 0
        cursor.execute("SELECT count(*) FROM inpatient_bed")
        assert cursor.fetchone()[0] == 21  # 20 at this scale, at least two for each inpatient department
        cursor.execute("SELECT count(*) FROM inpatient_admission")
        assert cursor.fetchone()[0] > 90
        cursor.execute("SELECT DISTINCT status FROM scheduling_appointment")
        assert {row[0] for row in cursor.fetchall()} == {"booked", "checked_in", "cancelled", "no_show"}
        cursor.execute("SELECT count(*) FILTER (WHERE appointment_id IS NULL), count(*) FROM scheduling_queueentry")
        walk_ins, entries = cursor.fetchone()
        assert 0 < walk_ins < entries
        cursor.execute(
            "SELECT count(DISTINCT patient_id), count(*) FILTER (WHERE allergen_code = 'class:penicillins'),"
            " (SELECT count(*) FROM clinical_allergystatement) FROM clinical_allergy"
        )
        allergic, penicillin, asked = cursor.fetchone()
        assert 10 < allergic < 60 and penicillin > 0 and 120 < asked < 190  # of 200 patients
        cursor.execute("SELECT DISTINCT status FROM billing_invoice")
        assert {row[0] for row in cursor.fetchall()} >= {"issued", "partially_paid", "paid", "void"}
        for rule, sql in CHECKS.items():
            cursor.execute(sql)
            assert cursor.fetchone()[0] == 0, rule
    assert not [run.as_dict() for run in reconcile_all() if run.drift]
    first = fingerprint()

    call_command("generate_data", scale=0.001, seed=7, as_of=AS_OF, reset=True, no_refresh=True)
    assert fingerprint() == first
    call_command("generate_data", scale=0.001, seed=8, as_of=AS_OF, reset=True, no_refresh=True)
    assert fingerprint() != first
