"""The patient chart: one page composing the patient's record (clinical, pharmacy, billing, alerts) with the
forms that add to it. Each form posts to a thin view that runs one command; on an error the chart comes
back with that form's errors."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chart.queries import discharge_summary as discharge_summary_of
from chart.queries import patient_summary
from clinical import commands
from clinical import queries as clinical
from clinical.forms import (
    AllergyForm,
    AllergyStatementForm,
    AllergyVerificationForm,
    ConditionForm,
    DiagnosisForm,
    EncounterForm,
    LabResultForm,
    PatientDetailsForm,
    PatientSearchForm,
    ResolveConditionForm,
    VitalsForm,
)
from clinical.models import Allergy, Encounter
from core.audit import trail
from core.errors import DomainError
from core.pages import apply_errors, run
from pharmacy import commands as pharmacy
from pharmacy import queries as pharmacy_queries
from pharmacy import safety
from pharmacy.forms import PrescriptionForm, StopForm
from reports.engine import freshness
from reports.queries import patient_alerts
from reports.queries.patients import patient_search
from reports.queries.patients import patient_summary as patient_card

RECENT_LAB_RESULTS = 20
PROBLEM = "problem"  # the problem-list form's prefix: its fields (code, onset) share names with others on the page
# Suggestions for an allergy's reaction (free text: what happened, in the recorder's words).
REACTIONS = ("anaphylaxis", "angioedema", "hives (urticaria)", "rash", "bronchospasm", "Stevens-Johnson syndrome",
             "nausea or vomiting", "diarrhoea", "itch")  # fmt: skip


def _chart(request, patient_id: int, *, bound=None, status=200, review=None):
    summary = patient_summary(patient_id=patient_id)
    if summary is None:
        raise Http404
    open_encounters = [e for e in summary["recent_encounters"] if e.status == Encounter.Status.OPEN]
    forms = {
        "encounter": EncounterForm(user=request.user) if request.user.has_perm("clinical.add_encounter") else None,
        "allergy": AllergyForm(),
        "allergy_statement": AllergyStatementForm(),
        "condition": ConditionForm(prefix=PROBLEM),
        "vitals": VitalsForm(),
        "diagnosis": DiagnosisForm(),
        "prescription": PrescriptionForm(),
        "lab": LabResultForm(),
    }
    bound_for = None
    if bound:
        name, form, bound_for = bound
        forms[name] = form
    context = {
        "summary": summary,
        "card": patient_card(patient_id=patient_id),  # the banner: the patient view's row
        "patient": summary["patient"],
        "open_encounters": open_encounters,
        "forms": forms,
        "bound_for": bound_for,
        # The safety findings of the order being prescribed, shown at the top of its form until confirmed.
        "review": review,
        "review_blocks": safety.blocking(review or []),
        "verifications": Allergy.Verification,
        "reactions": REACTIONS,
    }
    if request.user.has_perm("clinical.view_labresult"):  # decision support is for those who see results
        alerts = patient_alerts(patient_id=patient_id)
        context["alerts"] = alerts
        context["alerts_stale"] = freshness.warn(alerts)
        context["lab_results"] = list(clinical.lab_results().filter(patient_id=patient_id)[:RECENT_LAB_RESULTS])
    response = render(request, "chart/chart.html", context, status=status)
    response.patient = summary["patient"]
    return response


SEARCH_PAGE = 50


@login_required
@permission_required("clinical.view_patient", raise_exception=True)
def search(request):
    """Find a patient (the front desk's page): the patient view's search, as the API's, live as one types."""
    form = PatientSearchForm(request.GET or None, clinical=request.user.has_perm("clinical.view_diagnosis"))
    patients, total = [], 0
    if form.is_bound and form.is_valid() and form.criteria():
        results = patient_search(**form.criteria())
        patients = results[:SEARCH_PAGE]
        total = results.count() if len(patients) == SEARCH_PAGE else len(patients)
        trail.read_rows("clinical.patient", [{"patient_id": p["id"]} for p in patients])
    template = "chart/_results.html" if request.GET.get("partial") else "chart/search.html"
    context = {"form": form, "q": request.GET.get("q", ""), "patients": patients, "total": total}
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@permission_required("clinical.change_patient", raise_exception=True)
def edit_details(request, patient_id: int):
    """Correct a patient's demographics (address, primary care provider, language...) through the command;
    the audit trail keeps each change."""
    patient = clinical.patients().filter(pk=patient_id).first()
    if patient is None:
        raise Http404
    form = PatientDetailsForm(request.POST or None, patient=patient)
    if request.method == "POST":
        if form.is_valid() and not form.changes():
            return redirect("chart:chart", patient_id)
        done = form.is_valid() and run(
            request,
            form,
            lambda **_: commands.patient_update(patient_id=patient_id, **form.changes()),
            success="Details saved.",
            redirect_to=reverse("chart:chart", args=[patient_id]),
        )
        if done:
            return done
    trail.read_one(patient)
    return render(request, "chart/details.html", {"form": form, "patient": patient}, status=400 if form.errors else 200)


@login_required
@permission_required("clinical.view_patient", raise_exception=True)
def chart(request, patient_id: int):
    merged = clinical.patients().filter(pk=patient_id, merged_into__isnull=False).first()
    if merged is not None:
        messages.info(request, f"{merged} was merged into this record.")
        return redirect("chart:chart", merged.merged_into_id)
    response = _chart(request, patient_id)
    trail.read_one(response.patient)
    return response


def _post(request, chart_of: int, name: str, form, command, success: str, **kwargs):
    """Run `command` from `form`; on success back to the chart, else the chart with this form's errors."""
    done = run(request, form, command, success=success, redirect_to=reverse("chart:chart", args=[chart_of]), **kwargs)
    return done or _chart(request, chart_of, bound=(name, form, kwargs.get("encounter_id")), status=400)


def _encounter(encounter_id: int) -> Encounter:
    encounter = clinical.encounters().filter(pk=encounter_id).first()
    if encounter is None:
        raise Http404
    return encounter


@login_required
@require_POST
@permission_required("clinical.add_encounter", raise_exception=True)
def start_encounter(request, patient_id: int):
    return _post(
        request,
        patient_id,
        "encounter",
        EncounterForm(request.POST),
        commands.encounter_start,
        "Encounter started.",
        patient_id=patient_id,
    )


@login_required
@require_POST
@permission_required("clinical.add_allergy", raise_exception=True)
def record_allergy(request, patient_id: int):
    return _post(
        request,
        patient_id,
        "allergy",
        AllergyForm(request.POST),
        commands.allergy_record,
        "Allergy recorded.",
        patient_id=patient_id,
        recorded_by=request.user,
    )


@login_required
@require_POST
@permission_required("clinical.add_vitals", raise_exception=True)
def record_vitals(request, encounter_id: int):
    encounter = _encounter(encounter_id)
    form = VitalsForm(request.POST)
    return _post(
        request,
        encounter.patient_id,
        "vitals",
        form,
        commands.vitals_record,
        "Vitals recorded.",
        encounter_id=encounter_id,
        recorded_by=request.user,
    )


@login_required
@require_POST
@permission_required("clinical.add_diagnosis", raise_exception=True)
def record_diagnosis(request, encounter_id: int):
    encounter = _encounter(encounter_id)
    return _post(
        request,
        encounter.patient_id,
        "diagnosis",
        DiagnosisForm(request.POST),
        commands.diagnosis_record,
        "Diagnosis recorded.",
        encounter_id=encounter_id,
        recorded_by=request.user,
    )


@login_required
@require_POST
@permission_required("clinical.add_labresult", raise_exception=True)
def record_lab_result(request, encounter_id: int):
    encounter = _encounter(encounter_id)
    return _post(
        request,
        encounter.patient_id,
        "lab",
        LabResultForm(request.POST),
        commands.lab_result_record,
        "Lab result recorded.",
        encounter_id=encounter_id,
        recorded_by=request.user,
    )


@login_required
@require_POST
@permission_required("pharmacy.add_prescription", raise_exception=True)
def prescribe(request, encounter_id: int):
    """Prescribe in two steps when the safety checks find anything: first the findings, at the top of the
    form (a block asks for an override reason), then the prescriber confirms and the command (which checks
    again, and refuses a block without a reason) writes the order with what was decided."""
    encounter = _encounter(encounter_id)
    form = PrescriptionForm(request.POST)
    if not form.is_valid():
        return _chart(request, encounter.patient_id, bound=("prescription", form, encounter_id), status=400)
    data = form.cleaned_data
    findings = pharmacy_queries.order_review(
        patient_id=encounter.patient_id, drug_id=data["drug_id"], duration_days=data["duration_days"]
    )
    seen = safety.fingerprint(findings)
    if findings and data["reviewed"] != seen:  # not yet shown these findings: show them, write nothing
        form = PrescriptionForm({**request.POST.dict(), "reviewed": seen})
        form.is_valid()
        blocked = bool(safety.blocking(findings))
        if blocked:  # the browser brings the prescriber to the reason it asks for
            form.fields["override_reason"].widget.attrs["autofocus"] = True
        return _chart(
            request, encounter.patient_id, bound=("prescription", form, encounter_id), review=findings,
            status=409 if blocked else 200,
        )  # fmt: skip
    try:
        prescription = pharmacy.prescription_create(
            encounter_id=encounter_id,
            prescriber=request.user,
            **{k: v for k, v in data.items() if k != "reviewed"},
        )
    except DomainError as exc:
        apply_errors(form, exc)
        review = getattr(exc, "findings", None) or findings
        form.fields["override_reason"].widget.attrs["autofocus"] = True
        return _chart(
            request, encounter.patient_id, bound=("prescription", form, encounter_id), review=review,
            status=exc.status,
        )  # fmt: skip
    warned = len(prescription.findings)
    messages.success(
        request,
        "Prescription sent to the pharmacy." + (f" {warned} safety finding(s) recorded with it." if warned else ""),
    )
    return redirect(reverse("chart:chart", args=[encounter.patient_id]))


@login_required
@require_POST
@permission_required(("pharmacy.add_prescription", "pharmacy.change_prescription"), raise_exception=True)
def stop_medication(request, prescription_id: int):
    prescription = pharmacy_queries.prescriptions().filter(pk=prescription_id).first()
    if prescription is None:
        raise Http404
    return _post(
        request,
        prescription.encounter.patient_id,
        "stop",
        StopForm(request.POST),
        pharmacy.prescription_stop,
        f"{prescription.drug} stopped.",
        prescription_id=prescription.pk,
        stopped_by=request.user,
    )


@login_required
@require_POST
@permission_required("clinical.add_allergystatement", raise_exception=True)
def record_allergy_statement(request, patient_id: int):
    return _post(
        request,
        patient_id,
        "allergy_statement",
        AllergyStatementForm(request.POST),
        commands.allergy_statement_record,
        "Allergy status recorded.",
        patient_id=patient_id,
        stated_by=request.user,
    )


@login_required
@require_POST
@permission_required("clinical.change_allergy", raise_exception=True)
def verify_allergy(request, allergy_id: int):
    allergy = clinical.allergies().filter(pk=allergy_id).first()
    if allergy is None:
        raise Http404
    return _post(
        request,
        allergy.patient_id,
        "allergy_verification",
        AllergyVerificationForm(request.POST),
        commands.allergy_update,
        "Allergy updated.",
        allergy_id=allergy.pk,
    )


@login_required
@require_POST
@permission_required("clinical.add_condition", raise_exception=True)
def record_condition(request, patient_id: int):
    return _post(
        request,
        patient_id,
        "condition",
        ConditionForm(request.POST, prefix=PROBLEM),
        commands.condition_record,
        "Added to the problem list.",
        patient_id=patient_id,
        recorded_by=request.user,
    )


@login_required
@require_POST
@permission_required("clinical.change_condition", raise_exception=True)
def resolve_condition(request, condition_id: int):
    problem = clinical.conditions().filter(pk=condition_id).first()
    if problem is None:
        raise Http404
    return _post(
        request,
        problem.patient_id,
        "resolve",
        ResolveConditionForm(request.POST),
        commands.condition_resolve,
        f"{problem.code_id} resolved.",
        condition_id=problem.pk,
    )


@login_required
@require_POST
@permission_required("clinical.change_encounter", raise_exception=True)
def close_encounter(request, encounter_id: int):
    encounter = _encounter(encounter_id)
    return _post(
        request,
        encounter.patient_id,
        "close",
        forms.Form(request.POST),
        commands.encounter_close,
        "Encounter closed.",
        encounter_id=encounter_id,
    )


@login_required
@permission_required("clinical.view_diagnosis", raise_exception=True)
def discharge_summary(request, admission_id: int):
    """The printable discharge summary of one admission (also before discharge: a draft to go over)."""
    summary = discharge_summary_of(admission_id=admission_id)
    if summary is None:
        raise Http404
    trail.read_one(summary["admission"])
    response = render(request, "chart/discharge_summary.html", summary)
    response.patient = summary["patient"]
    return response
