"""Ward pages: thin — a form, one command or one query, redirect after POST. The bed board itself is on
the read side (reports/board.py); these are the writes it links to, the queue and an admission's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.audit import trail
from core.audit.models import AuditEvent
from core.errors import DomainError
from core.pages import apply_errors, run
from inpatient import commands, queries
from inpatient.forms import (
    AdmitForm,
    BedStatusForm,
    CancelForm,
    DischargeForm,
    DischargeOrderForm,
    RequestForm,
    TransferForm,
)
from inpatient.models import Admission, AdmissionRequest

BOARD = "board:board"


def _admission(admission_id: int) -> Admission:
    admission = queries.admissions().filter(pk=admission_id).first()
    if admission is None:
        raise Http404
    trail.read_one(admission)
    return admission


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _form_page(request, form, *, title: str, status: int = 200, **context):
    return render(request, "inpatient/form.html", {"form": form, "title": title, **context}, status=status)


@login_required
@permission_required("inpatient.view_admissionrequest", raise_exception=True)
def queue(request):
    waiting = list(queries.admission_queue())
    unplaced = list(queries.awaiting_admission().exclude(admission_requests__status="waiting")[:200])
    trail.read(AuditEvent.Action.LIST, [*waiting, *unplaced])
    return render(request, "inpatient/queue.html", {"waiting": waiting, "unplaced": unplaced})


@login_required
@permission_required("inpatient.add_admission", raise_exception=True)
def admit(request):
    initial = {}
    for name, param in (("bed_id", "bed"), ("encounter_id", "encounter"), ("ward_id", "ward")):
        if request.GET.get(param, "").isdigit():
            initial[name] = int(request.GET[param])
    form = AdmitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            done = commands.admission_admit(admitted_by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            if isinstance(done, AdmissionRequest):
                messages.warning(request, f"No free bed in {done.ward}: the patient waits in the queue.")
                return redirect("inpatient:queue")
            messages.success(request, "Admitted.")
            return redirect(_back(request, reverse(BOARD)))
    return _form_page(request, form, title="Admit a patient", status=400 if form.errors else 200, submit="Admit")


@login_required
@permission_required("inpatient.add_admissionrequest", raise_exception=True)
def request_bed(request):
    initial = {"encounter_id": int(request.GET["encounter"])} if request.GET.get("encounter", "").isdigit() else {}
    form = RequestForm(request.POST or None, initial=initial)
    if request.method == "POST":
        done = run(
            request,
            form,
            commands.admission_request_create,
            success="The patient is in the queue for a bed.",
            redirect_to=reverse("inpatient:queue"),
            requested_by=request.user,
        )
        if done:
            return done
    return _form_page(request, form, title="Request a bed", status=400 if form.errors else 200, submit="Request")


@login_required
@permission_required("inpatient.change_admissionrequest", raise_exception=True)
@require_POST
def cancel_request(request, request_id: int):
    try:
        commands.admission_request_cancel(request_id=request_id)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, str(exc))
    else:
        messages.success(request, "Taken out of the queue.")
    return redirect("inpatient:queue")


@login_required
@permission_required("inpatient.view_admission", raise_exception=True)
def admission(request, admission_id: int):
    found = _admission(admission_id)
    context = {
        "admission": found,
        "history": list(queries.bed_history(admission_id=found.pk)),
        "charges": list(queries.bed_day_charges(admission_id=found.pk))
        if request.user.has_perm("inpatient.view_beddaycharge")
        else None,
        "transfer_form": TransferForm(),
        "order_form": DischargeOrderForm(),
        "cancel_form": CancelForm(),
    }
    return render(request, "inpatient/admission.html", context)


def _action(request, admission_id: int, form_class, command, *, title: str, success: str, submit: str, **kwargs):
    found = _admission(admission_id)
    form = form_class(request.POST or None)
    if request.method == "POST":
        done = run(
            request,
            form,
            command,
            success=success,
            redirect_to=_back(request, reverse("inpatient:admission", args=[found.pk])),
            admission_id=found.pk,
            **kwargs,
        )
        if done:
            return done
    status = 400 if form.errors else 200
    return _form_page(request, form, title=title, status=status, admission=found, submit=submit)


@login_required
@permission_required("inpatient.transfer_admission", raise_exception=True)
def transfer(request, admission_id: int):
    return _action(
        request,
        admission_id,
        TransferForm,
        commands.admission_transfer,
        title="Transfer to another bed",
        success="Transferred; the old bed is waiting to be cleaned.",
        submit="Transfer",
        transferred_by=request.user,
    )


@login_required
@permission_required("inpatient.order_discharge", raise_exception=True)
def order_discharge(request, admission_id: int):
    return _action(
        request,
        admission_id,
        DischargeOrderForm,
        commands.admission_order_discharge,
        title="Order discharge",
        success="Discharge ordered: the bed stays the patient's until they leave.",
        submit="Order discharge",
        ordered_by=request.user,
    )


@login_required
@permission_required("inpatient.discharge_admission", raise_exception=True)
def discharge(request, admission_id: int):
    return _action(
        request,
        admission_id,
        DischargeForm,
        commands.admission_discharge,
        title="Discharge: the patient leaves now",
        success="Discharged; the bed is waiting to be cleaned.",
        submit="Discharge now",
        discharged_by=request.user,
    )


@login_required
@permission_required("inpatient.cancel_admission", raise_exception=True)
def cancel(request, admission_id: int):
    return _action(
        request,
        admission_id,
        CancelForm,
        commands.admission_cancel,
        title="Cancel an admission made in error",
        success="Admission cancelled; the bed is free again.",
        submit="Cancel the admission",
        cancelled_by=request.user,
    )


@login_required
@permission_required("inpatient.housekeep_bed", raise_exception=True)
@require_POST
def bed_status(request, bed_id: int):
    """Housekeeping from the bed board: cleaned, out of service, back in service."""
    if not queries.beds().filter(pk=bed_id).exists():
        raise Http404
    form = BedStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose free, cleaning or out of service.")
        return redirect(_back(request, reverse(BOARD)))
    try:
        bed = commands.bed_set_status(bed_id=bed_id, changed_by=request.user, **form.cleaned_data)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, " ".join(str(m) for problems in exc.errors.values() for m in problems))
    else:
        messages.success(request, f"{bed} is {bed.get_status_display().lower()}.")
    return redirect(_back(request, reverse(BOARD)))
