"""Pharmacist pages: thin — a form, one command or one query, redirect after POST."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from core.audit import trail
from core.audit.models import AuditEvent
from core.pages import run
from pharmacy import commands, queries
from pharmacy.forms import AdjustForm, DispenseForm, ReceiveForm
from pharmacy.models import StockBatch


@login_required
@permission_required("pharmacy.add_dispense", raise_exception=True)
def queue(request):
    prescriptions = list(queries.prescription_queue()[:200])
    trail.read(AuditEvent.Action.LIST, prescriptions)
    context = {
        "prescriptions": prescriptions,
        "low": queries.low_stock(),
        "expiring": queries.expiring_batches(within_days=30),
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
            redirect_to=reverse("pharmacy:queue"),
            batch_id=batch.pk,
            adjusted_by=request.user,
        )
        if done:
            return done
    context = {"form": form, "title": f"Adjust {batch}", "batch": batch}
    return render(request, "pharmacy/stock_form.html", context, status=400 if form.errors else 200)
