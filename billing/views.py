"""Billing clerk pages: thin — a form, one command or one query, redirect after POST."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing import commands, queries
from billing.filters import InvoicePageFilter
from billing.forms import CreditNoteForm, LineFormSet, NewInvoiceForm, PaymentForm, VoidForm
from clinical.models import Encounter
from core.audit import trail
from core.audit.models import AuditEvent
from core.errors import DomainError
from core.pages import apply_errors, run


@login_required
@permission_required("billing.view_invoice", raise_exception=True)
def invoices(request):
    found = InvoicePageFilter(request.GET or None, queryset=queries.invoices())
    shown = list(found.qs[:200])
    trail.read(AuditEvent.Action.LIST, shown)
    return render(request, "billing/invoices.html", {"form": found.form, "invoices": shown})


@login_required
@permission_required("billing.add_invoice", raise_exception=True)
def new_invoice(request, encounter_id: int):
    encounter = Encounter.objects.select_related("patient", "department").filter(pk=encounter_id).first()
    if encounter is None:
        raise Http404
    form = NewInvoiceForm(request.POST or None)
    lines = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        chosen = [
            {"service": d["service"].pk, "quantity": d.get("quantity") or 1, "discount": d.get("discount") or 0}
            for d in lines.cleaned_data
            if d.get("service")
        ]
        try:
            invoice = commands.invoice_create(
                patient_id=encounter.patient_id,
                encounter_id=encounter.pk,
                lines=chosen,
                created_by=request.user,
                **form.cleaned_data,
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Draft invoice created.")
            return redirect("billing:invoice", invoice.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "billing/new_invoice.html", {"encounter": encounter, "form": form, "lines": lines}, status=status
    )


def _invoice_page(request, invoice_id: int, *, bound=None, status=200):
    invoice = queries.invoices().filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404
    trail.read_one(invoice)
    forms_ = {
        "payment": PaymentForm(prefix="payment"),
        "credit": CreditNoteForm(prefix="credit"),
        "void": VoidForm(prefix="void"),
        "issue": forms.Form(),
    }
    if bound:
        forms_[bound[0]] = bound[1]
    return render(request, "billing/invoice.html", {"invoice": invoice, "forms": forms_}, status=status)


@login_required
@permission_required("billing.view_invoice", raise_exception=True)
def invoice(request, invoice_id: int):
    return _invoice_page(request, invoice_id)


@login_required
@permission_required("billing.view_invoice", raise_exception=True)
def print_invoice(request, invoice_id: int):
    found = queries.invoices().filter(pk=invoice_id).first()
    if found is None:
        raise Http404
    trail.read_one(found)
    return render(request, "billing/print.html", {"invoice": found})


def _act(request, invoice_id, name, form, command, success, **kwargs):
    done = run(
        request,
        form,
        command,
        success=success,
        redirect_to=reverse("billing:invoice", args=[invoice_id]),
        invoice_id=invoice_id,
        **kwargs,
    )
    return done or _invoice_page(request, invoice_id, bound=(name, form), status=400)


@login_required
@require_POST
@permission_required("billing.change_invoice", raise_exception=True)
def issue(request, invoice_id: int):
    return _act(
        request,
        invoice_id,
        "issue",
        forms.Form(request.POST),
        commands.invoice_issue,
        "Invoice issued.",
        issued_by=request.user,
    )


@login_required
@require_POST
@permission_required("billing.add_payment", raise_exception=True)
def pay(request, invoice_id: int):
    return _act(
        request,
        invoice_id,
        "payment",
        PaymentForm(request.POST, prefix="payment"),
        commands.payment_record,
        "Payment recorded.",
        received_by=request.user,
    )


@login_required
@require_POST
@permission_required("billing.add_creditnote", raise_exception=True)
def credit(request, invoice_id: int):
    return _act(
        request,
        invoice_id,
        "credit",
        CreditNoteForm(request.POST, prefix="credit"),
        commands.credit_note_create,
        "Credit note recorded.",
        created_by=request.user,
    )


@login_required
@require_POST
@permission_required("billing.change_invoice", raise_exception=True)
def void(request, invoice_id: int):
    return _act(
        request,
        invoice_id,
        "void",
        VoidForm(request.POST, prefix="void"),
        commands.invoice_void,
        "Invoice voided.",
        voided_by=request.user,
    )
