"""The patient chart: one page composing the patient's record (clinical, pharmacy, billing, alerts) with the
forms that add to it. Each form posts to a thin view that runs one command; on an error the chart comes
back with that form's errors."""

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from chart.queries import patient_summary
from clinical import commands
from clinical import queries as clinical
from clinical.forms import AllergyForm, DiagnosisForm, EncounterForm, LabResultForm, VitalsForm
from clinical.models import Encounter
from core.audit import trail
from core.pages import run
from pharmacy import commands as pharmacy
from pharmacy.forms import PrescriptionForm
from reports.engine import freshness
from reports.queries import patient_alerts

RECENT_LAB_RESULTS = 20


def _chart(request, patient_id: int, *, bound=None, status=200):
    summary = patient_summary(patient_id=patient_id)
    if summary is None:
        raise Http404
    open_encounters = [e for e in summary["recent_encounters"] if e.status == Encounter.Status.OPEN]
    forms = {
        "encounter": EncounterForm(user=request.user) if request.user.has_perm("clinical.add_encounter") else None,
        "allergy": AllergyForm(),
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
        "patient": summary["patient"],
        "open_encounters": open_encounters,
        "forms": forms,
        "bound_for": bound_for,
    }
    if request.user.has_perm("clinical.view_labresult"):  # decision support is for those who see results
        alerts = patient_alerts(patient_id=patient_id)
        context["alerts"] = alerts
        context["alerts_stale"] = freshness.warn(alerts)
        context["lab_results"] = list(clinical.lab_results().filter(patient_id=patient_id)[:RECENT_LAB_RESULTS])
    response = render(request, "chart/chart.html", context, status=status)
    response.patient = summary["patient"]
    return response


@login_required
@permission_required("clinical.view_patient", raise_exception=True)
def chart(request, patient_id: int):
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
    encounter = _encounter(encounter_id)
    return _post(
        request,
        encounter.patient_id,
        "prescription",
        PrescriptionForm(request.POST),
        pharmacy.prescription_create,
        "Prescription sent to the pharmacy.",
        encounter_id=encounter_id,
        prescriber=request.user,
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
