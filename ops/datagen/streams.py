"""The tables the generator loads, in the order their streams open and commit (parents first), with the
columns each row gives, in order, and how many rows to expect (for the progress bars)."""

from collections.abc import Callable

# name: (table, columns, expected rows for the counts)
STREAMS: dict[str, tuple[str, str, Callable]] = {
    "patients": (
        "clinical_patient",
        "id mrn given_name family_name date_of_birth sex phone address created_at updated_at",
        lambda c: c.patients,
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
}
