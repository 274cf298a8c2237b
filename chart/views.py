"""The patient chart: one page composing the patient's record (clinical, pharmacy, billing, alerts) with the
forms that add to it. Each form posts to a thin view that runs one command; on an error the chart comes
back with that form's errors."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing import queries as billing_queries
from chart.queries import (
    VISIT_PARTS,
    banner_location,
    lab_trends,
    patient_summary,
    visit,
    visits,
    vitals_flowsheet,
    with_readings,
)
from chart.queries import discharge_summary as discharge_summary_of
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
    NoteForm,
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


# The chart's tabs: (key, label, permission needed to see it; None: anyone who may open the chart).
TABS = (
    ("summary", gettext_lazy("Summary"), None),
    ("visits", gettext_lazy("Visits"), "clinical.view_encounter"),
    ("vitals", gettext_lazy("Vitals"), "clinical.view_vitals"),
    ("labs", gettext_lazy("Labs"), "clinical.view_labresult"),
    ("medications", gettext_lazy("Medications"), "pharmacy.view_prescription"),
    ("problems", gettext_lazy("Problems and allergies"), "clinical.view_condition"),
    ("billing", gettext_lazy("Billing"), "billing.view_invoice"),
)
# The forms about the patient rather than a visit live on their tab; the rest in the record panel.
FORM_TAB = {
    "allergy": "problems",
    "allergy_statement": "problems",
    "allergy_verification": "problems",
    "condition": "problems",
    "resolve": "problems",
    "stop": "medications",
}
RECORD_FORMS = ("vitals", "note", "diagnosis", "lab", "prescription")


def _banner(request, patient) -> dict:
    """The sticky banner's facts: the patient view's row (age, allergies with severity, alert counts) and
    where the patient is now."""
    open_encounters = list(clinical.encounters().filter(patient_id=patient.pk, status=Encounter.Status.OPEN))
    card = patient_card(patient_id=patient.pk)
    alerts = card["alerts"] if card and request.user.has_perm("clinical.view_labresult") else None
    return {
        "card": card,
        "open_encounters": open_encounters,
        "location": banner_location(patient_id=patient.pk, open_encounters=open_encounters),
        "alert_count": sum(alerts.values()) if alerts else 0,
        "alert_counts": alerts,
    }


def _tabs(user) -> list[tuple[str, str]]:
    return [(key, label) for key, label, permission in TABS if permission is None or user.has_perm(permission)]


def _active_encounter(request, open_encounters: list, bound_for) -> Encounter | None:
    """The encounter the record panel writes into: the one a form was posted to, else the one picked
    (?encounter=), else the latest open one."""
    by_id = {e.pk: e for e in open_encounters}
    for candidate in (bound_for, request.GET.get("encounter")):
        try:
            if candidate is not None and int(candidate) in by_id:
                return by_id[int(candidate)]
        except ValueError:
            continue
    return open_encounters[0] if open_encounters else None


def _chart(request, patient_id: int, *, bound=None, status=200, review=None):
    summary = patient_summary(patient_id=patient_id)
    if summary is None:
        raise Http404
    patient, user = summary["patient"], request.user
    tabs = _tabs(user)
    tab = FORM_TAB.get(bound[0], "summary") if bound else request.GET.get("tab", "summary")
    if tab not in dict(tabs):
        tab = "summary"
    banner = _banner(request, patient)
    forms = {
        "encounter": EncounterForm(user=user) if user.has_perm("clinical.add_encounter") else None,
        "allergy": AllergyForm(),
        "allergy_statement": AllergyStatementForm(),
        "condition": ConditionForm(prefix=PROBLEM),
        "vitals": VitalsForm(),
        "diagnosis": DiagnosisForm(),
        "prescription": PrescriptionForm(),
        "lab": LabResultForm(),
        "note": NoteForm(),
    }
    bound_name = bound_for = None
    if bound:
        bound_name, form, bound_for = bound
        forms[bound_name] = form
    active = _active_encounter(request, banner["open_encounters"], bound_for)
    draft = None
    if active is not None and user.has_perm("clinical.add_clinicalnote"):
        draft = clinical.notes().filter(encounter=active, author=user, status="draft").first()
        if draft is not None and bound_name != "note":
            forms["note"] = NoteForm(initial={"text": draft.text})
    context = {
        **banner,
        "summary": summary,
        "patient": patient,
        "tabs": tabs,
        "tab": tab,
        "active": active,
        "draft": draft,
        "encounter_notes": (
            list(clinical.notes().filter(encounter=active))
            if active and user.has_perm("clinical.view_clinicalnote")
            else []
        ),
        "forms": forms,
        "bound_name": bound_name,
        "bound_for": bound_for,
        "opened": bound_name if bound_name in RECORD_FORMS else request.GET.get("record"),
        # The safety findings of the order being prescribed, shown at the top of its form until confirmed.
        "review": review,
        "review_blocks": safety.blocking(review or []),
        "verifications": Allergy.Verification,
        "reactions": REACTIONS,
    }
    if user.has_perm("clinical.view_labresult"):  # decision support is for those who see results
        alerts = patient_alerts(patient_id=patient_id)
        context["alerts"] = alerts
        context["alerts_stale"] = freshness.warn(alerts)
    if tab == "summary":
        if user.has_perm("clinical.view_labresult"):
            context["lab_results"] = list(clinical.lab_results().filter(patient_id=patient_id)[:RECENT_LAB_RESULTS])
        if user.has_perm("clinical.view_vitals"):
            latest = clinical.vitals().select_related("recorded_by").filter(encounter__patient_id=patient_id).first()
            context["latest_vitals"] = with_readings([latest])[0] if latest else None
    elif tab == "visits":
        context["visits"] = visits(patient_id=patient_id)
    elif tab == "vitals":
        context["flowsheet"] = vitals_flowsheet(patient_id=patient_id)
    elif tab == "labs":
        context["lab_tests"] = lab_trends(patient_id=patient_id)
    elif tab == "medications":
        context["prescriptions"] = list(
            pharmacy_queries.prescriptions().filter(encounter__patient_id=patient_id).order_by("-prescribed_at")[:100]
        )
    elif tab == "billing":
        context["invoices"] = list(billing_queries.invoices().filter(patient_id=patient_id).order_by("-posting_date"))
    context["charts"] = [
        *(context["flowsheet"]["charts"] if "flowsheet" in context else []),
        *(t["chart"] for t in context.get("lab_tests", []) if t["chart"]),
    ]
    response = render(request, "chart/chart.html", context, status=status)
    response.patient = patient
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


def _chart_url(patient_id: int, *, encounter_id=None, tab: str | None = None) -> str:
    """The chart, on the tab a form came from, recording into the encounter it wrote to."""
    url = reverse("chart:chart", args=[patient_id])
    if tab and tab != "summary":
        return f"{url}?tab={tab}"
    return f"{url}?encounter={encounter_id}#record" if encounter_id else url


def _post(request, chart_of: int, name: str, form, command, success: str, **kwargs):
    """Run `command` from `form`; on success back to the chart, else the chart with this form's errors."""
    back = _chart_url(chart_of, encounter_id=kwargs.get("encounter_id"), tab=FORM_TAB.get(name))
    done = run(request, form, command, success=success, redirect_to=back, **kwargs)
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
    return redirect(_chart_url(encounter.patient_id, encounter_id=encounter_id))


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
@permission_required("clinical.change_encounter", raise_exception=True)
def close_encounter(request, encounter_id: int):
    """Closing a visit is confirmed on a page of its own that says what closing means and what is still
    open on it (draft notes, no diagnosis); the POST from that page closes it."""
    encounter = _encounter(encounter_id)
    form = forms.Form(request.POST or None)
    if request.method == "POST":
        done = run(
            request, form, commands.encounter_close, success=_("Encounter closed."),
            redirect_to=reverse("chart:chart", args=[encounter.patient_id]), encounter_id=encounter_id,
        )  # fmt: skip
        if done:
            return done
    record = visit(encounter_id=encounter_id, parts=_visible_parts(request.user) | {"notes"})
    context = {
        **_banner(request, encounter.patient),
        **record,
        "form": form,
        "drafts": [n for n in record["notes"] if n.status == "draft"],
    }
    response = render(request, "chart/close_encounter.html", context, status=400 if form.errors else 200)
    response.patient = encounter.patient
    return response


def _visible_parts(user) -> set[str]:
    return {part for part, permission in VISIT_PARTS.items() if user.has_perm(permission)}


def _visit_page(request, encounter_id: int, template: str, **extra):
    record = visit(encounter_id=encounter_id, parts=_visible_parts(request.user))
    if record is None:
        raise Http404
    trail.read_one(record["patient"])
    context = {**_banner(request, record["patient"]), **record, **extra}
    context["note_form"] = extra.get("note_form") or NoteForm()
    response = render(request, template, context, status=extra.get("status", 200))
    response.patient = record["patient"]
    return response


@login_required
@permission_required("clinical.view_encounter", raise_exception=True)
def visit_page(request, encounter_id: int):
    """One visit as a record: vitals, diagnoses, notes (drafts editable by their author, signed ones
    amendable), orders, lab results."""
    return _visit_page(request, encounter_id, "chart/visit.html")


@login_required
@permission_required("clinical.view_encounter", raise_exception=True)
def visit_summary(request, encounter_id: int):
    """The printable visit summary."""
    return _visit_page(request, encounter_id, "chart/visit_summary.html", hospital=settings.HOSPITAL_NAME)


def _note(note_id: int):
    note = clinical.notes().filter(pk=note_id).first()
    if note is None:
        raise Http404
    return note


def _note_back(note) -> str:
    return reverse("chart:visit", args=[note.encounter_id]) + f"#note-{note.pk}"


@login_required
@require_POST
@permission_required("clinical.add_clinicalnote", raise_exception=True)
def write_note(request, encounter_id: int):
    """A note on the encounter, from the chart's record panel: a draft ("Save draft") or signed ("Sign")."""
    encounter = _encounter(encounter_id)
    signing = "sign" in request.POST
    return _post(
        request, encounter.patient_id, "note", NoteForm(request.POST),
        commands.note_write, _("Note signed.") if signing else _("Draft note saved."),
        encounter_id=encounter_id, author=request.user, sign=signing,
    )  # fmt: skip


@login_required
@require_POST
@permission_required("clinical.change_clinicalnote", raise_exception=True)
def edit_note(request, note_id: int):
    """Save a draft again, or sign it (its author only; the command refuses anyone else)."""
    note = _note(note_id)
    signing = "sign" in request.POST
    form = NoteForm(request.POST)
    done = run(
        request, form, commands.note_edit, success=_("Note signed.") if signing else _("Draft note saved."),
        redirect_to=lambda saved: _note_back(saved), note_id=note.pk, editor=request.user, sign=signing,
    )  # fmt: skip
    if done:
        return done
    if request.POST.get("from") == "chart":  # the record panel's draft: back there with the errors
        return _chart(request, note.encounter.patient_id, bound=("note", form, note.encounter_id), status=400)
    return _visit_page(request, note.encounter_id, "chart/visit.html", editing=(note.pk, form), status=400)


@login_required
@require_POST
@permission_required("clinical.change_clinicalnote", raise_exception=True)
def sign_note(request, note_id: int):
    note = _note(note_id)
    try:
        commands.note_sign(note_id=note.pk, signer=request.user)
    except DomainError as exc:
        messages.error(request, " ".join(str(m) for problems in exc.errors.values() for m in problems))
    else:
        messages.success(request, _("Note signed."))
    return redirect(_note_back(note))


@login_required
@permission_required("clinical.add_clinicalnote", raise_exception=True)
def amend_note(request, note_id: int):
    """Correct a signed note: the amendment starts as the note's text; the original stays as it was."""
    original = _note(note_id)
    form = NoteForm(request.POST or None, initial={"text": original.text})
    if request.method == "POST":
        signing = "sign" in request.POST
        done = run(
            request, form, commands.note_amend,
            success=_("Amendment signed.") if signing else _("Draft amendment saved."),
            redirect_to=lambda saved: _note_back(saved), note_id=original.pk, author=request.user, sign=signing,
        )  # fmt: skip
        if done:
            return done
    trail.read_one(original)
    context = {**_banner(request, original.encounter.patient), "original": original, "form": form,
               "patient": original.encounter.patient, "encounter": original.encounter}  # fmt: skip
    response = render(request, "chart/amend_note.html", context, status=400 if form.errors else 200)
    response.patient = original.encounter.patient
    return response


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
