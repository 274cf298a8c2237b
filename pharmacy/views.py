"""Pharmacist pages: thin — a form, one command or one query, redirect after POST."""

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from core.audit import trail
from core.audit.models import AuditEvent
from core.pages import run
from pharmacy import commands, queries
from pharmacy.forms import AdjustForm, DispenseForm, ReceiveForm
from pharmacy.models import StockBatch

RECENT_DISPENSES = 15  # the latest dispenses on the pharmacy page, each with its label
STOCK_SHOWN = 300  # batches on the stock page (search narrows them)


@login_required
@permission_required("pharmacy.add_dispense", raise_exception=True)
def queue(request):
    prescriptions = list(queries.dispense_worklist()[:200])
    dispensed = list(queries.recent_dispenses(limit=RECENT_DISPENSES))
    trail.read(AuditEvent.Action.LIST, prescriptions + dispensed)
    context = {
        "prescriptions": prescriptions,
        "dispensed": dispensed,
        "low": queries.low_stock(),
        "expired": queries.expired_batches(),
        "expiring": queries.expiring_soon(within_days=30),
    }
    return render(request, "pharmacy/queue.html", context)


@login_required
@permission_required("pharmacy.add_dispense", raise_exception=True)
def dispense(request, prescription_id: int):
    prescription = queries.prescriptions().filter(pk=prescription_id).first()
    if prescription is None:
        raise Http404
    trail.read_one(prescription)
    form = DispenseForm(request.POST or None)
    if request.method == "POST":
        done = run(
            request,
            form,
            commands.medication_dispense,
            success="Dispensed; the charge is on the invoice.",
            redirect_to=reverse("pharmacy:queue"),
            prescription_id=prescription.pk,
            dispensed_by=request.user,
        )
        if done:
            return done
    context = {"prescription": prescription, "form": form, **queries.dispense_preview(prescription)}
    return render(request, "pharmacy/dispense.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("pharmacy.add_stockbatch", raise_exception=True)
def receive(request):
    form = ReceiveForm(request.POST or None)
    if request.method == "POST":
        done = run(
            request,
            form,
            commands.stock_receive,
            success="Stock received.",
            redirect_to=reverse("pharmacy:queue"),
            received_by=request.user,
        )
        if done:
            return done
    return render(
        request,
        "pharmacy/stock_form.html",
        {"form": form, "title": "Receive stock"},
        status=400 if form.errors else 200,
    )


@login_required
@permission_required("pharmacy.change_stockbatch", raise_exception=True)
def adjust(request, batch_id: int):
    batch = StockBatch.objects.select_related("drug").filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    form = AdjustForm(request.POST or None)
    if request.method == "POST":
        done = run(
            request,
            form,
            commands.stock_adjust,
            success="Stock adjusted.",
            redirect_to=reverse("pharmacy:stock"),
            batch_id=batch.pk,
            adjusted_by=request.user,
        )
        if done:
            return done
    context = {"form": form, "title": f"Adjust {batch}", "batch": batch}
    return render(request, "pharmacy/stock_form.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("pharmacy.change_stockbatch", raise_exception=True)
def stock(request):
    """Every batch with stock (any batch can be adjusted, not only those expiring), expired ones marked."""
    q = request.GET.get("q", "").strip()
    found = list(queries.stock_batches(q=q)[: STOCK_SHOWN + 1])
    context = {"batches": found[:STOCK_SHOWN], "more": len(found) > STOCK_SHOWN, "q": q, "today": timezone.localdate()}
    return render(request, "pharmacy/stock.html", context)


@login_required
@permission_required("pharmacy.view_prescription", raise_exception=True)
def print_prescription(request, prescription_id: int):
    """A prescription on paper (A5): patient, prescriber, drug and directions."""
    prescription = queries.prescriptions().filter(pk=prescription_id).first()
    if prescription is None:
        raise Http404
    trail.read_one(prescription)
    context = {
        "prescription": prescription,
        "patient": prescription.encounter.patient,
        "hospital": settings.HOSPITAL_NAME,
    }
    return render(request, "pharmacy/print_prescription.html", context)


@login_required
@permission_required("pharmacy.add_dispense", raise_exception=True)
def dispense_label(request, dispense_id: int):
    """The label stuck on what was handed over: patient, drug, directions, quantity, lots and expiry."""
    dispense = queries.dispenses().select_related("prescription__encounter__patient").filter(pk=dispense_id).first()
    if dispense is None:
        raise Http404
    trail.read_one(dispense)
    context = {
        "dispense": dispense,
        "prescription": dispense.prescription,
        "patient": dispense.prescription.encounter.patient,
        "hospital": settings.HOSPITAL_NAME,
    }
    return render(request, "pharmacy/dispense_label.html", context)
