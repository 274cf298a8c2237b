"""The tables the generator loads, in the order their streams open and commit (parents first), with the
columns each row gives, in order, and how many rows to expect (for the progress bars)."""

from collections.abc import Callable

# name: (table, columns, expected rows for the counts)
STREAMS: dict[str, tuple[str, str, Callable]] = {
    "patients": (
        "clinical_patient",
        "id mrn given_name family_name date_of_birth sex phone address_line1 address_line2 city postal_code country "
        "preferred_language created_at updated_at",
        lambda c: c.patients,
    ),
    # What patients said when asked about allergies (ops/datagen/allergies.py).
    "allergies": (
        "clinical_allergy",
        "id patient_id allergen_code substance category reaction severity verification onset recorded_at "
        "recorded_by_id",
        lambda c: round(c.patients * 0.17),
    ),
    "allergy_statements": (
        "clinical_allergystatement",
        "id patient_id kind stated_at stated_by_id withdrawn_at withdrawn_because",
        lambda c: round(c.patients * 0.78),
    ),
    "encounters": (
        "clinical_encounter",
        "id patient_id type department_id attending_id status started_at ended_at reason",
        lambda c: c.encounters,
    ),
    "diagnoses": (
        "clinical_diagnosis",
        "id encounter_id icd10_code description is_primary recorded_at recorded_by_id resolved_at",
        lambda c: c.diagnoses,
    ),
    "drugs": (
        "pharmacy_drug",
        "id code generic_name form strength unit unit_price reorder_level ingredients active",
        lambda c: c.drugs,
    ),
    "batches": (
        "pharmacy_stockbatch",
        "id drug_id lot_number expiry_date quantity_on_hand unit_cost received_at",
        lambda c: c.batches,
    ),
    "invoices": (
        "billing_invoice",
        "id number patient_id encounter_id payer_id status posting_date due_date subtotal discount_total total "
        "amount_paid amount_credited notes created_at created_by_id issued_at voided_at void_reason",
        lambda c: c.encounters,  # one invoice each
    ),
    "lines": (
        "billing_invoiceline",
        "id invoice_id service_id description quantity unit_price discount line_total",
        lambda c: c.lines,
    ),
    "prescriptions": (
        "pharmacy_prescription",
        "id encounter_id drug_id dose frequency duration_days quantity quantity_dispensed prescriber_id status "
        "notes prescribed_at",
        lambda c: c.dispenses,
    ),
    "dispenses": (
        "pharmacy_dispense",
        "id prescription_id quantity dispensed_by_id dispensed_at allergy_override_reason allergy_override_by_id "
        "invoice_line_id",
        lambda c: c.dispenses,
    ),
    "allocations": ("pharmacy_dispenseallocation", "id dispense_id batch_id quantity", lambda c: c.dispenses),
    "movements": (
        "pharmacy_stockmovement",
        "id batch_id kind quantity reason note dispense_id created_at created_by_id",
        lambda c: c.dispenses + c.batches,
    ),
    "payments": (
        "billing_payment",
        "id invoice_id amount method reference paid_on received_at received_by_id",
        lambda c: round(c.encounters * 0.8),
    ),
    "credits": (
        "billing_creditnote",
        "id invoice_id amount reason credited_on created_at created_by_id",
        lambda c: round(c.encounters * 0.12),
    ),
    "vitals": (
        "clinical_vitals",
        "id encounter_id recorded_at recorded_by_id pulse systolic diastolic temperature spo2 respiratory_rate weight",
        lambda c: c.vitals,
    ),
    "labs": (
        "clinical_labresult",
        "id encounter_id patient_id test_code test_name value unit reference_low reference_high flag resulted_at "
        "recorded_at recorded_by_id",
        lambda c: round(c.encounters * 0.45),
    ),
    # Inpatient care (ops/datagen/wards.py): the queue before the beds held for it, admissions before their beds'
    # history, bed-days after the invoice lines that bill them.
    "requests": (
        "inpatient_admissionrequest",
        "id encounter_id patient_id ward_id priority note status requested_at requested_by_id closed_at",
        lambda c: c.beds // 50,
    ),
    "beds": (
        "inpatient_bed",
        "id ward_id label status status_changed_at reserved_for_id note created_at",
        lambda c: c.beds,
    ),
    "admissions": (
        "inpatient_admission",
        "id encounter_id patient_id request_id status admitted_at admitted_by_id discharge_ordered_at "
        "discharge_ordered_by_id disposition follow_up discharged_at discharged_by_id cancelled_at cancelled_by_id "
        "cancel_reason",
        lambda c: round(c.encounters * 0.12),
    ),
    "assignments": (
        "inpatient_bedassignment",
        "id admission_id patient_id bed_id reason started_at ended_at cancelled assigned_by_id",
        lambda c: round(c.encounters * 0.13),
    ),
    "charges": (
        "inpatient_beddaycharge",
        "id admission_id assignment_id bed_id ward_id night unit_price invoice_line_id charged_at",
        lambda c: round(c.encounters * 0.5),
    ),
    # Clinics and their bookings (ops/datagen/appointments.py); counts follow the outpatient encounters.
    "schedules": (
        "scheduling_schedule",
        "id department_id provider_id name slot_minutes capacity valid_from valid_until active created_at",
        lambda c: 10,
    ),
    "rules": ("scheduling_schedulerule", "id schedule_id weekday start_time end_time", lambda c: 50),
    "slots": (
        "scheduling_slot",
        "id schedule_id department_id provider_id day starts_at ends_at capacity booked blocked blocked_reason",
        lambda c: round(c.encounters * 0.75),
    ),
    "appointments": (
        "scheduling_appointment",
        "id patient_id slot_id department_id provider_id day starts_at ends_at status reason notes booked_via "
        "booked_at booked_by_id checked_in_at cancelled_at cancelled_by_id cancel_reason no_show_at no_show_by_id",
        lambda c: round(c.encounters * 0.65),
    ),
    "appointment_events": (
        "scheduling_appointmentevent",
        "id appointment_id kind at by_id from_slot_id detail",
        lambda c: round(c.encounters * 1.3),
    ),
    "queue": (
        "scheduling_queueentry",
        "id department_id patient_id encounter_id appointment_id provider_id day ticket priority status arrived_at "
        "called_at called_by_id room consultation_started_at finished_at note",
        lambda c: round(c.encounters * 0.7),
    ),
}
