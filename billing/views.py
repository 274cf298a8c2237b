"""Billing clerk pages: thin — a form, one command or one query, redirect after POST."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing import commands, queries
from billing.filters import InvoicePageFilter
from billing.forms import (
    ChargeFormSet,
    CreditNoteForm,
    InvoiceSearchForm,
    LineFormSet,
    NewInvoiceForm,
    PaymentForm,
    UnbilledSearchForm,
    VoidForm,
)
from billing.models import Invoice
from clinical.models import Encounter
from core.audit import trail
from core.audit.models import AuditEvent
from core.errors import DomainError
from core.pages import apply_errors, run

PAGE_SIZE = 25


def _hospital() -> dict:
    """The letterhead of printed invoices and receipts (settings read per request, never at import)."""
    logo = settings.HOSPITAL_LOGO
    if logo and not logo.startswith(("/", "http://", "https://")):
        logo = static(logo)
    return {
        "name": settings.HOSPITAL_NAME,
        "address": settings.HOSPITAL_ADDRESS,
        "logo": logo,
        "currency": settings.HOSPITAL_CURRENCY,
    }


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


# The list's columns: (sort key or None, label, CSS class).
INVOICE_COLUMNS = (
    ("number", gettext_lazy("Number"), ""),
    ("patient", gettext_lazy("Patient"), ""),
    ("payer", gettext_lazy("Payer"), "wide-only"),
    ("status", gettext_lazy("Status"), ""),
    ("posted", gettext_lazy("Posted"), ""),
    ("due", gettext_lazy("Due"), "wide-only"),
    ("total", gettext_lazy("Total"), "money"),
    (None, gettext_lazy("Outstanding"), "money"),
)


def _sortable(columns, sort: str) -> list[dict]:
    """Header cells: a column sorted ascending is offered descending next, any other ascending."""
    cells = []
    for key, label, css in columns:
        direction = None
        if key and sort.lstrip("-") == key:
            direction = "descending" if sort.startswith("-") else "ascending"
        following = f"-{key}" if direction == "ascending" else key
        cells.append({"key": key, "label": label, "css": css, "direction": direction, "next": following})
    return cells


@login_required
@permission_required("billing.view_invoice", raise_exception=True)
def invoices(request):
    search = InvoiceSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    found = InvoicePageFilter(request.GET or None, queryset=Invoice.objects.all())
    base = found.qs  # status, payer and dates; a field that does not parse filters nothing (shown on the form)
    sort = queries.invoice_sort(request.GET.get("sort"))
    page = _page(request, queries.invoice_search(q=q, sort=sort, base=base))
    trail.read(AuditEvent.Action.LIST, page.object_list)
    return render(
        request,
        "billing/invoices.html",
        {
            "search": search,
            "form": found.form,
            "page": page,
            "invoices": page.object_list,
            "columns": _sortable(INVOICE_COLUMNS, sort),
            "currency": settings.HOSPITAL_CURRENCY,
        },
    )


@login_required
@permission_required("billing.add_invoice", raise_exception=True)
def unbilled(request):
    """The billing clerk's worklist: encounters with care not yet on an issued invoice, oldest first."""
    search = UnbilledSearchForm(request.GET or None)
    q = search.cleaned_data["q"] if search.is_valid() else ""
    page = _page(request, queries.unbilled_encounters(q=q))
    ids = [row["invoice__encounter"] for row in page.object_list]
    encounters, drafts = queries.encounters_by_id(ids), queries.drafts_by_encounter(ids)
    rows = [
        {**row, "encounter": encounters[row["invoice__encounter"]], "drafts": drafts.get(row["invoice__encounter"], [])}
        for row in page.object_list
    ]
    trail.read(AuditEvent.Action.LIST, [row["encounter"] for row in rows])
    return render(
        request,
        "billing/unbilled.html",
        {"search": search, "page": page, "rows": rows, "currency": settings.HOSPITAL_CURRENCY},
    )


def _invoice_input(charges, lines) -> list[dict]:
    """The command's lines from the page's two formsets: the charges kept, then the services added."""
    kept = [{"charge": d["charge"]} for d in charges.cleaned_data if d and not d.get("DELETE")]
    added = [
        {"service": d["service"].pk, "quantity": d.get("quantity") or 1, "discount": d.get("discount") or 0}
        for d in lines.cleaned_data
        if d and d.get("service") and not d.get("DELETE")
    ]
    return kept + added


@login_required
@permission_required("billing.add_invoice", raise_exception=True)
def new_invoice(request, encounter_id: int):
    """A new invoice for an encounter, filled in from its care: the charges waiting on its drafts (each
    removable) and services from the price list added row by row."""
    encounter = Encounter.objects.select_related("patient", "department").filter(pk=encounter_id).first()
    if encounter is None:
        raise Http404
    waiting = {line.pk: line for line in queries.encounter_charges(encounter_id=encounter.pk)}
    data = request.POST if request.method == "POST" else None
    form = NewInvoiceForm(data, initial={"payer_id": queries.encounter_payer_id(encounter_id=encounter.pk)})
    charges = ChargeFormSet(data, prefix="charges", initial=[{"charge": pk} for pk in waiting])
    lines = LineFormSet(data, prefix="lines")
    if data is not None and form.is_valid() and charges.is_valid() and lines.is_valid():
        try:
            invoice = commands.invoice_create(
                patient_id=encounter.patient_id,
                encounter_id=encounter.pk,
                lines=_invoice_input(charges, lines),
                created_by=request.user,
                **form.cleaned_data,
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Draft invoice created."))
            return redirect("billing:invoice", invoice.pk)
    rows = [(row, waiting.get(_charge_id(row))) for row in charges]
    context = {
        "encounter": encounter,
        "form": form,
        "charges": charges,
        "charge_rows": rows,
        "lines": lines,
        "billed": queries.encounter_issued_invoices(encounter_id=encounter.pk),
        "currency": settings.HOSPITAL_CURRENCY,
    }
    return render(request, "billing/new_invoice.html", context, status=400 if data is not None else 200)


def _charge_id(row) -> int | None:
    value = row["charge"].value()
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _invoice_page(request, invoice_id: int, *, bound=None, status=200):
    invoice = queries.invoices().select_related("encounter__department").filter(pk=invoice_id).first()
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
    context = {"invoice": invoice, "forms": forms_, "currency": settings.HOSPITAL_CURRENCY}
    return render(request, "billing/invoice.html", context, status=status)


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
    return render(request, "billing/print.html", {"invoice": found, "hospital": _hospital()})


@login_required
@permission_required("billing.view_invoice", raise_exception=True)
def receipt(request, payment_id: int):
    """A payment's printable receipt, with what the invoice still owed once it was paid."""
    payment = queries.payment_receipt(payment_id=payment_id)
    if payment is None:
        raise Http404
    trail.read_one(payment.invoice)
    context = {"payment": payment, "balance": queries.balance_after(payment=payment), "hospital": _hospital()}
    return render(request, "billing/receipt.html", context)


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
        _("Invoice issued."),
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
        _("Payment recorded."),
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
        _("Credit note recorded."),
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
        _("Invoice voided."),
        voided_by=request.user,
    )
