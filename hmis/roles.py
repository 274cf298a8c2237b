"""The hospital's roles: Django groups with model permissions. core.roles keeps the groups in step with
these tables after every migrate (registered in hmis/apps.py)."""

ALL = ("view", "add", "change", "delete")

# role -> {app label or "app.model": actions}. Actions are Django's view/add/change/delete.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    # Clinicians prescribe; pharmacists dispense and keep the stock.
    "clinician": {
        "clinical": ("view", "add", "change"),
        "pharmacy.prescription": ("view", "add", "change"),
        "pharmacy.drug": ("view",),
        "pharmacy.dispense": ("view",),
    },
    "billing_clerk": {
        "billing": ("view", "add", "change"),
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
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
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
        "clinical.allergy": ("view",),
    },
    # Nurses chart vitals and allergies and see what was prescribed and given; no billing, no diagnosing.
    "nurse": {
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
        "clinical.department": ("view",),
        "clinical.diagnosis": ("view",),
        "clinical.allergy": ("view", "add"),
        "clinical.vitals": ("view", "add"),
        "clinical.labresult": ("view",),
        "pharmacy.prescription": ("view",),
        "pharmacy.dispense": ("view",),
        "pharmacy.drug": ("view",),
    },
    # The front desk registers patients and opens their visits, and can see what a patient owes;
    # it sees no clinical content (diagnoses, allergies, vitals, medications).
    "front_desk": {
        "clinical.patient": ("view", "add", "change"),
        "clinical.encounter": ("view", "add"),
        "clinical.department": ("view",),
        "billing.invoice": ("view",),
        "billing.payer": ("view",),
    },
    # Managers see the hospital's figures, not its patients: report rows naming patients (AR by patient or
    # invoice) also need clinical.view_patient (reports.catalog.base.PATIENT_NAMES), which they lack.
    "report_viewer": {"reports": ("view",)},
    "admin": {"clinical": ALL, "billing": ALL, "pharmacy": ALL, "reports": ALL, "hmis.auditevent": ("view",)},
}


# Single permissions beyond the table above ("app_label.codename").
EXTRA: dict[str, tuple[str, ...]] = {
    "billing_clerk": ("reports.view_financial_reports",),
    "clinician": ("reports.view_clinical_reports", "clinical.attend_encounter"),
    "pharmacist": ("reports.view_clinical_reports",),
    # The performance test aggregates the whole ledger on the primary (seconds at hospital scale): admins only.
    "admin": ("reports.run_performance_test",),
}
