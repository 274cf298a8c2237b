"""The hospital's roles: Django groups with model permissions. core.roles keeps the groups in step with
these tables after every migrate (registered in hmis/apps.py)."""

ALL = ("view", "add", "change", "delete")

# role -> {app label or "app.model": actions}. Actions are Django's view/add/change/delete.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    # Clinicians prescribe; pharmacists dispense and keep the stock.
    "clinician": {
        "clinical": ("view", "add", "change"),
        "pharmacy.prescription": ("view", "add", "change"),
        "pharmacy.ordercheck": ("view",),
        "pharmacy.drug": ("view",),
        "pharmacy.dispense": ("view",),
        **{f"inpatient.{m}": ("view",) for m in ("ward", "bed", "admission", "bedassignment")},
        "inpatient.admissionrequest": ("view", "add", "change"),  # asks for a bed; orders discharge (EXTRA)
        # Clinicians call their patients from the queue, see them and finish (change); book nothing.
        "scheduling.queueentry": ("view", "change"),
        "scheduling.appointment": ("view",),
        "scheduling.appointmentevent": ("view",),
        "scheduling.schedule": ("view",),
        "scheduling.slot": ("view",),
    },
    "billing_clerk": {
        "billing": ("view", "add", "change"),
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
        "inpatient.ward": ("view",),
        "inpatient.beddaycharge": ("view",),
    },
    # Separation of duties: a pharmacist checks and dispenses what a clinician ordered, never orders it
    # (pharmacy.commands.medication_dispense also refuses a dispense by the prescriber).
    "pharmacist": {
        "pharmacy.drug": ("view", "add", "change"),
        "pharmacy.stockbatch": ("view", "add", "change"),
        "pharmacy.stockmovement": ("view", "add", "change"),
        "pharmacy.prescription": ("view", "change"),  # change: cancel an order that must not be given
        "pharmacy.dispense": ("view", "add", "change"),
        "pharmacy.dispenseallocation": ("view", "add", "change"),
        "pharmacy.ordercheck": ("view",),
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
        "clinical.allergy": ("view",),
        "clinical.allergystatement": ("view",),
    },
    # Nurses chart vitals and allergies and see what was prescribed and given; no billing, no diagnosing.
    "nurse": {
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
        "clinical.department": ("view",),
        "clinical.diagnosis": ("view",),
        "clinical.allergy": ("view", "add"),
        "clinical.allergystatement": ("view", "add"),
        "clinical.condition": ("view",),
        "clinical.vitals": ("view", "add"),
        "clinical.labresult": ("view",),
        "clinical.clinicalnote": ("view", "add", "change"),  # nursing notes: write, edit own drafts, sign
        "pharmacy.prescription": ("view",),
        "pharmacy.dispense": ("view",),
        "pharmacy.drug": ("view",),
        # The ward: admit, transfer, discharge (once ordered), keep the beds (housekeeping): EXTRA below.
        **{f"inpatient.{m}": ("view",) for m in ("ward", "bed", "bedassignment")},
        "inpatient.admission": ("view", "add"),
        "inpatient.admissionrequest": ("view", "add", "change"),
        # Nurses triage the queue (its priority: an extra permission below) and see the day's bookings.
        "scheduling.queueentry": ("view",),
        "scheduling.appointment": ("view",),
        "scheduling.schedule": ("view",),
        "scheduling.slot": ("view",),
    },
    # The front desk registers patients and opens their visits, and can see what a patient owes;
    # it sees no clinical content (diagnoses, allergies, vitals, medications).
    "front_desk": {
        "clinical.patient": ("view", "add", "change"),
        "clinical.encounter": ("view", "add"),
        "clinical.department": ("view",),
        "billing.invoice": ("view",),
        "billing.payer": ("view",),
        # Admits and transfers (EXTRA); no discharge, which follows a clinician's order on the ward.
        **{f"inpatient.{m}": ("view",) for m in ("ward", "bed", "bedassignment")},
        "inpatient.admission": ("view", "add"),
        "inpatient.admissionrequest": ("view", "add", "change"),
        # Bookings (book, move, cancel, no-show, notes) and check-in (appointments and walk-ins).
        "scheduling.appointment": ("view", "add", "change"),
        "scheduling.appointmentevent": ("view", "add"),
        "scheduling.queueentry": ("view", "add"),
        "scheduling.schedule": ("view",),
        "scheduling.scheduleexception": ("view",),
        "scheduling.slot": ("view",),
    },
    # Managers see the hospital's figures, not its patients: report rows naming patients (AR by patient or
    # invoice) also need clinical.view_patient (reports.catalog.base.PATIENT_NAMES), which they lack.
    # (the read side's own bookkeeping; not RowDrift, which holds patients' data)
    "report_viewer": {"reports.projectionstate": ("view",), "reports.reconciliationrun": ("view",)},
    "admin": {
        "clinical": ALL,
        "billing": ALL,
        "pharmacy": ALL,
        "inpatient": ALL,
        "scheduling": ALL,
        "reports": ALL,
        "hmis.auditevent": ("view",),
        "fhir_api.bulkexport": ("view",),
    },
}


# Single permissions beyond the table above ("app_label.codename").
# Inpatient care: clinicians order discharge; the ward (nurses) and the front desk admit and transfer;
# nurses discharge the patient who leaves, keep the beds (cleaned, out of service) and undo a wrong admission.
INPATIENT_WARD = ("inpatient.transfer_admission", "inpatient.cancel_admission")
EXTRA: dict[str, tuple[str, ...]] = {
    "billing_clerk": ("reports.view_financial_reports",),
    "clinician": (
        "reports.view_clinical_reports",
        "clinical.attend_encounter",
        "inpatient.order_discharge",
        "scheduling.triage_queueentry",
    ),
    "pharmacist": ("reports.view_clinical_reports",),
    "nurse": (
        *INPATIENT_WARD,
        "inpatient.discharge_admission",
        "inpatient.housekeep_bed",
        "scheduling.triage_queueentry",
    ),
    "front_desk": INPATIENT_WARD,
    "admin": (
        *INPATIENT_WARD,
        "inpatient.order_discharge",
        "inpatient.discharge_admission",
        "inpatient.housekeep_bed",
        "scheduling.triage_queueentry",
        # The performance test aggregates the whole ledger on the primary (seconds at hospital scale): admins only.
        "reports.run_performance_test",
        # FHIR Bulk Data: every patient's record in files; admins only (an integrator's key given the admin role).
        "fhir_api.run_bulk_export",
        # Merging duplicate records moves a whole record: admins only (the front desk sees the warning).
        "clinical.merge_patient",
    ),
}
