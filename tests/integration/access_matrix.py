"""Who may call what: every endpoint (API, pages, CSV exports, admin) and the roles allowed to.

The table is the specification; tests/integration/test_access.py proves the running app matches it, role by
role, and that it lists every route in the URL conf. docs/access-matrix.md is rendered from it:
    .venv/bin/python tests/integration/access_matrix.py > docs/access-matrix.md
Each report's page, export and API rows come from the report registry and the roles its permission names.
"""

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

if __name__ == "__main__":  # rendering the doc: Django first, as the report registry imports models
    import django

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.test")
    django.setup()

from reports.catalog import REPORTS
from reports.catalog.base import CLINICAL, FINANCIAL

ROLES = ("clinician", "nurse", "front_desk", "billing_clerk", "pharmacist", "report_viewer", "admin")
C, N, F, B, P, R, A = ROLES
EVERYONE = "everyone"  # no sign-in needed (ops and API description)
STAFF = frozenset(ROLES)  # any signed-in role

MISSING = "missing"  # an id that does not exist: allowed roles get 404 (no object is touched), others 403


@dataclass(frozen=True)
class Endpoint:
    kind: str  # api | page | export
    method: str
    name: str  # URL name
    allowed: frozenset | str
    kwargs: dict = field(default_factory=dict)  # URL kwarg -> fixture object ("patient", ...), MISSING, "=literal"
    query: str = ""

    @property
    def label(self) -> str:
        literal = "".join(f" {v[1:]}" for v in self.kwargs.values() if isinstance(v, str) and v.startswith("="))
        return f"{self.method} {self.name}{literal}{'?' + self.query if self.query else ''}"


def api(method, name, allowed, **kwargs):
    return Endpoint("api", method, name, frozenset(allowed) if allowed != EVERYONE else allowed, kwargs)


def page(method, name, allowed, query="", **kwargs):
    kind = "export" if "format=csv" in query else "page"
    return Endpoint(kind, method, name, frozenset(allowed), kwargs, query)


PATIENT_VIEWERS = {C, N, F, B, P, A}
CLINICAL_READERS = {C, N, A}
# The ward: who sees the beds and admissions, and who admits and transfers (clinicians order discharge,
# nurses discharge and keep the beds).
WARD_VIEWERS = {C, N, F, A}
ADMITTERS = {N, F, A}
SCHEDULE_VIEWERS = {C, N, F, A}  # the day's bookings, slots and queues
FINANCIAL_REPORTS = {B, R, A}
CLINICAL_REPORTS = {C, P, R, A}
# FHIR resource types: the roles that read the API resources they are made of.
FHIR_READERS = {
    "Patient": PATIENT_VIEWERS,
    "Encounter": PATIENT_VIEWERS,
    "Condition": CLINICAL_READERS,
    "AllergyIntolerance": {C, N, P, A},
    "Observation": CLINICAL_READERS,
    "MedicationRequest": {C, N, P, A},
    "MedicationDispense": {C, N, P, A},
    "Medication": {C, N, P, A},
    "Practitioner": PATIENT_VIEWERS,  # who attended: whoever reads encounters
    "Organization": {C, N, F, B, A},  # the hospital (departments' readers) and payers (billing's)
    "Location": {C, N, F, B, A},  # departments, wards, beds
}
# Who may open a report follows from the permission its module names.
REPORT_READERS = {FINANCIAL: FINANCIAL_REPORTS, CLINICAL: CLINICAL_REPORTS}


def _naming_patients(report) -> str:
    """The filters that make a report list patients (group_by=patient, where the report offers it), so that
    a refusal is proven to show no patient."""
    group_by = report.form.base_fields.get("group_by")
    return "group_by=patient" if group_by is not None and "patient" in dict(group_by.choices) else ""


def _report_endpoints() -> tuple[list, list, list]:
    """Every report's API, page and CSV export, for the roles its permission names."""
    apis, pages, exports = [], [], []
    for report in REPORTS.values():
        readers, patients = REPORT_READERS[report.permission], _naming_patients(report)
        apis.append(api("GET", f"report-{report.slug}", readers))
        pages.append(page("GET", "reports:report", readers, slug=report.slug))
        exports.append(page("GET", "reports:report", readers, slug=report.slug, query="format=csv"))
        if patients:  # rows naming patients also need to see patients (reports.catalog.base.PATIENT_NAMES)
            naming = readers & PATIENT_VIEWERS
            pages.append(page("GET", "reports:report", naming, slug=report.slug, query=patients))
            exports.append(page("GET", "reports:report", naming, slug=report.slug, query=f"{patients}&format=csv"))
    return apis, pages, exports


REPORT_APIS, REPORT_PAGES, REPORT_EXPORTS = _report_endpoints()

ENDPOINTS = [
    # --- API (integrators: Api-Key; staff sessions get the same answers) ---
    api("GET", "patient-list", PATIENT_VIEWERS),
    api("POST", "patient-list", {C, F, A}),
    api("GET", "patient-detail", PATIENT_VIEWERS, pk="patient"),
    api("PATCH", "patient-detail", {C, F, A}, pk="patient"),
    api("GET", "patient-summary", CLINICAL_READERS, pk="patient"),
    api("POST", "patient-merge", {A}, pk=MISSING),  # moves a whole record: admins only
    api("POST", "patient-unmerge", {A}, pk=MISSING),
    api("GET", "department-list", {C, N, F, A}),
    api("GET", "department-detail", {C, N, F, A}, pk="department"),
    api("GET", "icd10-list", {C, A}),
    api("GET", "icd10-detail", {C, A}, pk="icd10"),
    api("GET", "encounter-list", PATIENT_VIEWERS),
    api("POST", "encounter-list", {C, F, A}),
    api("GET", "encounter-detail", PATIENT_VIEWERS, pk="encounter"),
    api("POST", "encounter-close", {C, A}, pk=MISSING),
    api("GET", "diagnosis-list", CLINICAL_READERS),
    api("POST", "diagnosis-list", {C, A}),
    api("GET", "diagnosis-detail", CLINICAL_READERS, pk="diagnosis"),
    api("GET", "allergy-list", {C, N, P, A}),
    api("POST", "allergy-list", {C, N, A}),
    api("GET", "allergy-detail", {C, N, P, A}, pk="allergy"),
    api("PATCH", "allergy-detail", {C, A}, pk="allergy"),  # confirm, refute, code: clinicians
    api("GET", "allergen-list", {C, N, P, A}),
    api("GET", "allergystatement-list", {C, N, P, A}),
    api("POST", "allergystatement-list", {C, N, A}),
    api("GET", "condition-list", CLINICAL_READERS),
    api("POST", "condition-list", {C, A}),
    api("GET", "condition-detail", CLINICAL_READERS, pk="condition"),
    api("POST", "condition-resolve", {C, A}, pk=MISSING),
    api("GET", "vitals-list", CLINICAL_READERS),
    api("POST", "vitals-list", {C, N, A}),
    api("GET", "vitals-detail", CLINICAL_READERS, pk="vitals"),
    api("GET", "labresult-list", CLINICAL_READERS),
    api("POST", "labresult-list", {C, A}),
    api("GET", "labresult-detail", CLINICAL_READERS, pk="lab_result"),
    api("GET", "patient-alerts", CLINICAL_READERS, pk="patient"),
    # Clinical notes: clinicians and nurses write them (and sign their own drafts); read like diagnoses.
    api("GET", "note-list", CLINICAL_READERS),
    api("POST", "note-list", {C, N, A}),
    api("GET", "note-detail", CLINICAL_READERS, pk="note"),
    api("PATCH", "note-detail", {C, N, A}, pk=MISSING),
    api("POST", "note-sign", {C, N, A}, pk=MISSING),
    api("POST", "note-amend", {C, N, A}, pk=MISSING),
    api("GET", "payer-list", {F, B, A}),
    api("POST", "payer-list", {B, A}),
    api("GET", "payer-detail", {F, B, A}, pk="payer"),
    api("GET", "service-list", {B, A}),
    api("POST", "service-list", {B, A}),
    api("GET", "service-detail", {B, A}, pk="service"),
    api("GET", "invoice-list", {F, B, A}),
    api("POST", "invoice-list", {B, A}),
    api("GET", "invoice-detail", {F, B, A}, pk="invoice"),
    api("POST", "invoice-issue", {B, A}, pk=MISSING),
    api("POST", "invoice-void", {B, A}, pk=MISSING),
    api("POST", "invoice-credit-notes", {B, A}, pk=MISSING),
    api("GET", "payment-list", {B, A}),
    api("POST", "payment-list", {B, A}),
    api("GET", "payment-detail", {B, A}, pk="payment"),
    api("GET", "drug-list", {C, N, P, A}),
    api("POST", "drug-list", {P, A}),
    api("GET", "drug-detail", {C, N, P, A}, pk="drug"),
    api("GET", "drug-stock", {C, N, P, A}),
    api("GET", "stockbatch-list", {P, A}),
    api("POST", "stockbatch-list", {P, A}),
    api("GET", "stockbatch-detail", {P, A}, pk="batch"),
    api("POST", "stockbatch-adjust", {P, A}, pk=MISSING),
    api("GET", "prescription-list", {C, N, P, A}),
    api("POST", "prescription-list", {C, A}),  # pharmacists dispense, never prescribe
    api("GET", "prescription-detail", {C, N, P, A}, pk="prescription"),
    api("POST", "prescription-cancel", {C, P, A}, pk=MISSING),
    api("POST", "prescription-stop", {C, A}, pk=MISSING),  # stopping a medication is the prescriber's call
    api("POST", "prescription-check", {C, A}),  # what the checks would say about an order; nothing written
    api("GET", "dispense-list", {C, N, P, A}),
    api("POST", "dispense-list", {P, A}),
    api("GET", "dispense-detail", {C, N, P, A}, pk="dispense"),
    api("GET", "ward-list", {C, N, F, B, A}),
    api("POST", "ward-list", {A}),
    api("GET", "ward-detail", {C, N, F, B, A}, pk="ward"),
    api("GET", "bed-list", WARD_VIEWERS),
    api("POST", "bed-list", {A}),
    api("GET", "bed-detail", WARD_VIEWERS, pk="bed"),
    api("POST", "bed-status", {N, A}, pk=MISSING),  # housekeeping
    api("GET", "admission-list", WARD_VIEWERS),
    api("POST", "admission-list", ADMITTERS),
    api("GET", "admission-detail", WARD_VIEWERS, pk="admission"),
    api("POST", "admission-transfer", ADMITTERS, pk=MISSING),
    api("POST", "admission-order-discharge", {C, A}, pk=MISSING),
    api("POST", "admission-discharge", {N, A}, pk=MISSING),
    api("POST", "admission-cancel", ADMITTERS, pk=MISSING),
    api("GET", "admissionrequest-list", WARD_VIEWERS),
    api("POST", "admissionrequest-list", WARD_VIEWERS),
    api("GET", "admissionrequest-detail", WARD_VIEWERS, pk="admission_request"),
    api("POST", "admissionrequest-cancel", WARD_VIEWERS, pk=MISSING),
    # Appointments and queues: the front desk books and checks in, clinicians call and finish, nurses triage.
    api("GET", "schedule-list", SCHEDULE_VIEWERS),
    api("POST", "schedule-list", {A}),
    api("GET", "schedule-detail", SCHEDULE_VIEWERS, pk="schedule"),
    api("PATCH", "schedule-detail", {A}, pk=MISSING),
    api("GET", "scheduleexception-list", {F, A}),
    api("POST", "scheduleexception-list", {A}),
    api("GET", "scheduleexception-detail", {F, A}, pk="schedule_exception"),
    api("DELETE", "scheduleexception-detail", {A}, pk=MISSING),
    api("GET", "slot-list", SCHEDULE_VIEWERS),
    api("GET", "slot-detail", SCHEDULE_VIEWERS, pk="slot"),
    api("GET", "appointment-list", SCHEDULE_VIEWERS),
    api("POST", "appointment-list", {F, A}),
    api("GET", "appointment-detail", SCHEDULE_VIEWERS, pk="appointment"),
    api("POST", "appointment-reschedule", {F, A}, pk=MISSING),
    api("POST", "appointment-cancel", {F, A}, pk=MISSING),
    api("POST", "appointment-no-show", {F, A}, pk=MISSING),
    api("POST", "appointment-notes", {F, A}, pk=MISSING),
    api("POST", "appointment-check-in", {F, A}, pk=MISSING),
    api("GET", "queueentry-list", SCHEDULE_VIEWERS),
    api("POST", "queueentry-list", {F, A}),
    api("GET", "queueentry-detail", SCHEDULE_VIEWERS, pk="queue_entry"),
    api("POST", "queueentry-call-next", {C, A}),
    api("POST", "queueentry-call", {C, A}, pk=MISSING),
    api("POST", "queueentry-start", {C, A}, pk=MISSING),
    api("POST", "queueentry-finish", {C, A}, pk=MISSING),
    api("POST", "queueentry-leave", {C, A}, pk=MISSING),
    api("POST", "queueentry-requeue", {C, A}, pk=MISSING),
    api("POST", "queueentry-priority", {C, N, A}, pk=MISSING),
    api("GET", "queue-board", SCHEDULE_VIEWERS),
    api("GET", "report-dashboard", {C, B, P, R, A}),
    api("GET", "report-performance-test", {A}),  # a live aggregate on the primary: admins only
    *REPORT_APIS,
    api("GET", "api-root", STAFF),
    api("GET", "schema", EVERYONE),
    api("GET", "api-docs", EVERYONE),
    api("GET", "healthz", EVERYONE),
    api("GET", "healthz-live", EVERYONE),
    api("GET", "healthz-ready", EVERYONE),
    # Not role-gated: a bearer token (METRICS_TOKEN) or the caller's network (METRICS_ALLOWED_NETWORKS, loopback by
    # default, where the test client calls from); tests/integration/test_observability.py checks both.
    api("GET", "metrics", EVERYONE),
    # --- FHIR R4 (a resource type is readable by whoever may read one of the models it comes from) ---
    api("GET", "fhir:metadata", EVERYONE),
    *(api("GET", "fhir:type", allowed, resource_type=f"={name}") for name, allowed in FHIR_READERS.items()),
    api("POST", "fhir:type", {C, F, A}, resource_type="=Patient"),
    api("POST", "fhir:type", {C, N, A}, resource_type="=Observation"),  # labs: clinicians; vital signs: nurses too
    api("POST", "fhir:type", {C, N, A}, resource_type="=AllergyIntolerance"),
    api("POST", "fhir:type", {C, A}, resource_type="=Condition"),
    api("GET", "fhir:instance", PATIENT_VIEWERS, resource_type="=Patient", ident="patient"),
    api("GET", "fhir:instance", PATIENT_VIEWERS, resource_type="=Encounter", ident="encounter"),
    api("GET", "fhir:everything", PATIENT_VIEWERS, ident="patient"),
    api("GET", "fhir:export", {A}),  # every patient's record: admins only (fhir_api.run_bulk_export)
    api("GET", "fhir:patient-export", {A}),
    # An export's status and files: only whoever asked for it (anyone else: 404, as for a missing one).
    api("GET", "fhir:export-status", STAFF, export_id=MISSING),
    api("DELETE", "fhir:export-status", STAFF, export_id=MISSING),
    api("GET", "fhir:export-file", STAFF, export_id=MISSING, file_name="=Patient.ndjson"),
    # --- Pages ---
    page("GET", "home", STAFF),  # each role's worklist (reports/home.py)
    page("GET", "dashboard", STAFF),  # the figures a role's reports allow (a note when none)
    page("GET", "chart:search", PATIENT_VIEWERS, query="q=Quixley"),
    page("GET", "clinical:register", {C, F, A}),
    page("POST", "clinical:register", {C, F, A}),
    page("GET", "clinical:icd10", PATIENT_VIEWERS, query="q=I10"),
    page("GET", "chart:chart", PATIENT_VIEWERS, patient_id="patient"),
    page("GET", "chart:edit_details", {C, F, A}, patient_id="patient"),
    page("POST", "chart:edit_details", {C, F, A}, patient_id=MISSING),
    page("POST", "chart:start_encounter", {C, F, A}, patient_id="patient"),
    page("POST", "chart:record_allergy", {C, N, A}, patient_id="patient"),
    page("POST", "chart:record_allergy_statement", {C, N, A}, patient_id="patient"),
    page("POST", "chart:verify_allergy", {C, A}, allergy_id="allergy"),
    page("POST", "chart:record_condition", {C, A}, patient_id="patient"),
    page("POST", "chart:resolve_condition", {C, A}, condition_id=MISSING),
    page("POST", "chart:stop_medication", {C, A}, prescription_id=MISSING),
    page("POST", "chart:record_vitals", {C, N, A}, encounter_id=MISSING),
    page("POST", "chart:record_lab_result", {C, A}, encounter_id=MISSING),
    page("POST", "chart:record_diagnosis", {C, A}, encounter_id=MISSING),
    page("POST", "chart:prescribe", {C, A}, encounter_id=MISSING),
    page("GET", "chart:close_encounter", {C, A}, encounter_id="encounter"),  # the confirmation step
    page("POST", "chart:close_encounter", {C, A}, encounter_id=MISSING),
    page("GET", "chart:visit", PATIENT_VIEWERS, encounter_id="encounter"),  # clinical parts by permission
    page("GET", "chart:visit_summary", PATIENT_VIEWERS, encounter_id="encounter"),
    page("POST", "chart:write_note", {C, N, A}, encounter_id=MISSING),
    page("POST", "chart:edit_note", {C, N, A}, note_id=MISSING),
    page("POST", "chart:sign_note", {C, N, A}, note_id=MISSING),
    page("GET", "chart:amend_note", {C, N, A}, note_id="note"),
    page("POST", "chart:amend_note", {C, N, A}, note_id=MISSING),
    page("GET", "billing:invoices", {F, B, A}),
    page("GET", "billing:unbilled", {B, A}),  # the billing clerk's worklist
    page("GET", "billing:new_invoice", {B, A}, encounter_id="encounter"),
    page("GET", "billing:invoice", {F, B, A}, invoice_id="invoice"),
    page("GET", "billing:print", {F, B, A}, invoice_id="invoice"),
    page("POST", "billing:issue", {B, A}, invoice_id=MISSING),
    page("POST", "billing:pay", {B, A}, invoice_id=MISSING),
    page("POST", "billing:credit", {B, A}, invoice_id=MISSING),
    page("POST", "billing:void", {B, A}, invoice_id=MISSING),
    page("GET", "billing:receipt", {F, B, A}, payment_id=MISSING),
    page("GET", "pharmacy:queue", {P, A}),
    page("GET", "pharmacy:dispense", {P, A}, prescription_id="prescription"),
    page("GET", "pharmacy:receive", {P, A}),
    page("GET", "pharmacy:adjust", {P, A}, batch_id="batch"),
    page("GET", "pharmacy:stock", {P, A}),
    page("GET", "pharmacy:print_prescription", {C, N, P, A}, prescription_id="prescription"),
    page("GET", "pharmacy:dispense_label", {P, A}, dispense_id="dispense"),
    page("GET", "board:board", WARD_VIEWERS),
    page("GET", "board:data", WARD_VIEWERS),
    page("GET", "board:ward", WARD_VIEWERS),
    page("GET", "inpatient:queue", WARD_VIEWERS),
    page("GET", "inpatient:admit", ADMITTERS),
    page("POST", "inpatient:admit", ADMITTERS),
    page("GET", "inpatient:request", WARD_VIEWERS),
    page("POST", "inpatient:request", WARD_VIEWERS),
    page("POST", "inpatient:cancel_request", WARD_VIEWERS, request_id=MISSING),
    page("GET", "inpatient:admission", WARD_VIEWERS, admission_id="admission"),
    page("GET", "inpatient:transfer", ADMITTERS, admission_id="admission"),
    page("POST", "inpatient:transfer", ADMITTERS, admission_id=MISSING),
    page("GET", "inpatient:order_discharge", {C, A}, admission_id="admission"),
    page("POST", "inpatient:order_discharge", {C, A}, admission_id=MISSING),
    page("GET", "inpatient:discharge", {N, A}, admission_id="admission"),
    page("POST", "inpatient:discharge", {N, A}, admission_id=MISSING),
    page("GET", "inpatient:cancel", ADMITTERS, admission_id="admission"),
    page("POST", "inpatient:cancel", ADMITTERS, admission_id=MISSING),
    page("POST", "inpatient:bed_status", {N, A}, bed_id=MISSING),
    page("GET", "chart:discharge_summary", CLINICAL_READERS, admission_id="admission"),
    page("GET", "scheduling:desk", SCHEDULE_VIEWERS),
    page("GET", "scheduling:book", {F, A}),
    page("POST", "scheduling:book", {F, A}),
    page("POST", "scheduling:walk_in", {F, A}),
    page("GET", "scheduling:appointment", SCHEDULE_VIEWERS, appointment_id="appointment"),
    page("GET", "scheduling:reschedule", {F, A}, appointment_id="appointment"),
    page("POST", "scheduling:reschedule", {F, A}, appointment_id=MISSING),
    page("POST", "scheduling:cancel", {F, A}, appointment_id=MISSING),
    page("POST", "scheduling:no_show", {F, A}, appointment_id=MISSING),
    page("POST", "scheduling:check_in", {F, A}, appointment_id=MISSING),
    page("POST", "scheduling:add_note", {F, A}, appointment_id=MISSING),
    page("GET", "scheduling:patient_appointments", SCHEDULE_VIEWERS, patient_id="patient"),
    page("GET", "scheduling:my_queue", SCHEDULE_VIEWERS),
    page("POST", "scheduling:call_next", {C, A}, department_id=MISSING),
    page("GET", "scheduling:board", SCHEDULE_VIEWERS, department_id="department"),
    page("POST", "scheduling:queue_call", {C, A}, entry_id=MISSING),
    page("POST", "scheduling:queue_start", {C, A}, entry_id=MISSING),
    page("POST", "scheduling:queue_finish", {C, A}, entry_id=MISSING),
    page("POST", "scheduling:queue_leave", {C, A}, entry_id=MISSING),
    page("POST", "scheduling:queue_requeue", {C, A}, entry_id=MISSING),
    page("POST", "scheduling:queue_priority", {C, N, A}, entry_id=MISSING),
    *REPORT_PAGES,
    # report filters' name suggestions (reports.lookups): report readers; patients' names also need patients
    page("GET", "reports:lookup", FINANCIAL_REPORTS | CLINICAL_REPORTS, kind="=payer", query="q=Ac"),
    page("GET", "reports:lookup", FINANCIAL_REPORTS | CLINICAL_REPORTS, kind="=department", query="q=Me"),
    page(
        "GET", "reports:lookup", (FINANCIAL_REPORTS | CLINICAL_REPORTS) & PATIENT_VIEWERS, kind="=patient", query="q=Qu"
    ),
    page("GET", "admin-system", {A}),  # servers, positions and load over the last hour (ops/system.py)
    # --- Exports ---
    *REPORT_EXPORTS,
]

# Sign-in plumbing (login, logout, password change/reset) is the same for every role and not in the table.
NOT_ROLE_GATED = {"login", "logout", "password_change", "password_change_done", "password_reset",
                  "password_reset_done", "password_reset_confirm", "password_reset_complete"}  # fmt: skip


def _who(endpoint: Endpoint) -> str:
    if endpoint.allowed == EVERYONE:
        return "everyone (no sign-in)"
    if endpoint.allowed == STAFF:
        return "every role"
    return ", ".join(r for r in ROLES if r in endpoint.allowed)


@dataclass(frozen=True)
class AdminAction:
    model: str  # app_label.model_name
    name: str  # the action's name in the admin
    allowed: frozenset


# Every admin action that runs a command, and the roles that may run it: the same roles the API lets run
# that command (core.admin.command_action). Superusers may run all of them; no role revokes API keys.
ADMIN_ACTIONS = [
    AdminAction("clinical.patient", "merge_patients", frozenset({A})),
    AdminAction("clinical.patient", "unmerge_patients", frozenset({A})),
    AdminAction("clinical.encounter", "close_encounters", frozenset({C, A})),
    AdminAction("clinical.diagnosis", "resolve_diagnoses", frozenset({C, A})),
    AdminAction("clinical.condition", "resolve_conditions", frozenset({C, A})),
    AdminAction("billing.invoice", "issue_invoices", frozenset({B, A})),
    AdminAction("billing.invoice", "void_invoices", frozenset({B, A})),
    AdminAction("pharmacy.stockbatch", "adjust_stock", frozenset({P, A})),
    AdminAction("pharmacy.prescription", "dispense", frozenset({P, A})),
    AdminAction("pharmacy.prescription", "cancel", frozenset({C, P, A})),
    AdminAction("inpatient.bed", "set_status", frozenset({N, A})),  # housekeeping
    AdminAction("inpatient.admissionrequest", "cancel", frozenset({C, N, F, A})),
    AdminAction("inpatient.admission", "cancel", frozenset({N, F, A})),
    AdminAction("scheduling.schedule", "generate_slots", frozenset({A})),
    AdminAction("scheduling.scheduleexception", "withdraw", frozenset({A})),
    AdminAction("scheduling.appointment", "cancel", frozenset({F, A})),
    AdminAction("scheduling.appointment", "mark_no_show", frozenset({F, A})),
    AdminAction("scheduling.appointment", "check_in", frozenset({F, A})),
    AdminAction("scheduling.queueentry", "left", frozenset({C, A})),
    AdminAction("hmis.apiclient", "revoke", frozenset()),
    AdminAction("fhir_api.bulkexport", "cancel", frozenset({A})),
]


def render() -> str:
    head = "| kind | endpoint | " + " | ".join(ROLES) + " | anonymous |"
    rule = "|---|---|" + "---|" * (len(ROLES) + 1)
    lines = [
        "# Access matrix",
        "",
        "Generated from `tests/integration/access_matrix.py`; `tests/integration/test_access.py` proves every cell",
        "against the running app (✔ = allowed, 403 = refused, with no patient data in the body). API rows are",
        "called with an API key holding the role; pages and exports with a signed-in user. Anonymous: pages",
        "redirect to the sign-in page, the API answers 401.",
        "",
        "`GET metrics` is gated by where the request comes from, not by role: `METRICS_ALLOWED_NETWORKS` (loopback",
        "by default, where these tests call from) or a bearer `METRICS_TOKEN`; from elsewhere it answers 403 to",
        "everyone, signed in or not (`tests/integration/test_observability.py`).",
        "",
        "Admin (`/admin/`): each model's list and add pages follow the same role permissions (view / add), checked",
        "for every registered model and role by the same test.",
        "",
        head,
        rule,
    ]
    for e in ENDPOINTS:
        public = e.allowed == EVERYONE
        cells = ["✔" if public or r in e.allowed else "403" for r in ROLES]
        anonymous = "✔" if public else ("401" if e.kind == "api" else "→ sign-in")
        kwargs = ", ".join(f"{k}={v}" for k, v in e.kwargs.items())
        where = f"`{e.label}`" + (f" ({kwargs})" if kwargs else "")
        lines.append(f"| {e.kind} | {where} | " + " | ".join(cells) + f" | {anonymous} |")
    lines += [
        "",
        "## Admin actions",
        "",
        "Each runs a command and needs the permissions the API needs for it; refused with 403 otherwise.",
        "",
        "| model | action | " + " | ".join(ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for a in ADMIN_ACTIONS:
        lines.append(
            f"| {a.model} | `{a.name}` | " + " | ".join("✔" if r in a.allowed else "403" for r in ROLES) + " |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
