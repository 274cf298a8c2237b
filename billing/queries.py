"""Billing queries: one function per question; they read where the router sends them."""

from decimal import Decimal

from django.db.models import Count, F, Min, Q, QuerySet, Sum

from billing.models import ZERO, CreditNote, Invoice, InvoiceLine, Payer, Payment, Service
from clinical.models import Encounter

OPEN = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


def patient_open_balance(*, patient_id: int) -> Decimal:
    """What the patient's issued, unpaid invoices still owe (invoiced - paid - credited)."""
    owed = Invoice.objects.filter(patient_id=patient_id, status__in=OPEN).aggregate(
        owed=Sum(F("total") - F("amount_paid") - F("amount_credited"))
    )["owed"]
    return owed or ZERO


def payers() -> QuerySet[Payer]:
    return Payer.objects.all()


def services() -> QuerySet[Service]:
    return Service.objects.select_related("department")


def invoices() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("patient", "payer", "supplements", "voided_by").prefetch_related(
        "lines", "payments", "credit_notes", "supplementary_invoices"
    )


def payments() -> QuerySet[Payment]:
    return Payment.objects.select_related("invoice")


def credit_notes() -> QuerySet[CreditNote]:
    return CreditNote.objects.select_related("invoice")


# --- The billing clerk's pages ---

# The invoice list's sort keys (what the page offers -> the ordering; "-key" sorts descending).
INVOICE_SORTS = {
    "number": ("number", "id"),
    "patient": ("patient__family_name", "patient__given_name", "id"),
    "payer": ("payer__name", "id"),
    "status": ("status", "id"),
    "posted": ("posting_date", "id"),
    "due": ("due_date", "id"),
    "total": ("total", "id"),
}
DEFAULT_INVOICE_SORT = "-posted"


def _patient_words(q: str, prefix: str = "patient__") -> Q:
    """Every word of `q` in the patient's MRN (exact) or a name (within)."""
    found = Q()
    for word in q.split():
        found &= (
            Q(**{f"{prefix}mrn__iexact": word})
            | Q(**{f"{prefix}family_name__icontains": word})
            | Q(**{f"{prefix}given_name__icontains": word})
        )
    return found


def invoice_sort(sort: str | None) -> str:
    """The sort key asked for, if the list offers it, else the default."""
    return sort if sort and sort.lstrip("-") in INVOICE_SORTS else DEFAULT_INVOICE_SORT


def invoice_search(*, q: str = "", sort: str = DEFAULT_INVOICE_SORT, base: QuerySet | None = None) -> QuerySet[Invoice]:
    """Invoices whose number contains `q`, or whose patient's MRN or names match each of its words; sorted
    by one of INVOICE_SORTS (unknown keys: the default). For a list page: no lines or payments loaded."""
    found = (base if base is not None else Invoice.objects.all()).select_related("patient", "payer")
    q = q.strip()
    if q:
        found = found.filter(Q(number__icontains=q) | _patient_words(q))
    key = invoice_sort(sort)
    fields = INVOICE_SORTS[key.lstrip("-")]
    return found.order_by(*(f"-{f}" if key.startswith("-") else f for f in fields))


def unbilled_encounters(*, q: str = "") -> QuerySet:
    """Encounters with care on no issued invoice yet: charges captured (dispenses, bed-days) and services
    recorded on the encounter's drafts. One row per encounter (its id, how many lines, their amount, when
    the oldest draft was opened), oldest first: a values QuerySet to page; `encounters_by_id` names them."""
    waiting = InvoiceLine.objects.filter(invoice__status=Invoice.Status.DRAFT, invoice__encounter__isnull=False)
    if q.strip():
        waiting = waiting.filter(_patient_words(q.strip(), prefix="invoice__patient__"))
    return (
        waiting.values("invoice__encounter")
        .annotate(lines=Count("id"), amount=Sum("line_total"), since=Min("invoice__created_at"))
        .order_by("since", "invoice__encounter")
    )


def encounters_by_id(ids) -> dict[int, Encounter]:
    return {e.pk: e for e in Encounter.objects.select_related("patient", "department").filter(pk__in=ids)}


def drafts_by_encounter(ids) -> dict[int, list[Invoice]]:
    """The draft invoices of these encounters, with their payers, oldest first."""
    found: dict[int, list[Invoice]] = {}
    drafts = Invoice.objects.filter(encounter_id__in=ids, status=Invoice.Status.DRAFT).select_related("payer")
    for draft in drafts.order_by("id"):
        found.setdefault(draft.encounter_id, []).append(draft)
    return found


def encounter_charges(*, encounter_id: int) -> QuerySet[InvoiceLine]:
    """The lines waiting on the encounter's drafts, oldest first, with their draft and its payer."""
    return (
        InvoiceLine.objects.filter(invoice__encounter_id=encounter_id, invoice__status=Invoice.Status.DRAFT)
        .select_related("invoice__payer", "service")
        .order_by("id")
    )


def encounter_issued_invoices(*, encounter_id: int) -> QuerySet[Invoice]:
    """The encounter's invoices already issued (not drafts, not void), with their payers."""
    return (
        Invoice.objects.filter(encounter_id=encounter_id)
        .exclude(status__in=(Invoice.Status.DRAFT, Invoice.Status.VOID))
        .select_related("payer")
        .order_by("id")
    )


def encounter_payer_id(*, encounter_id: int) -> int | None:
    """Who the encounter was last billed to (its latest invoice that is not void), if anyone: the payer a
    new invoice for it starts with (billing.commands.encounter_payer decides inside a command)."""
    return (
        Invoice.objects.filter(encounter_id=encounter_id)
        .exclude(status=Invoice.Status.VOID)
        .order_by("-id")
        .values_list("payer_id", flat=True)
        .first()
    )


def payment_receipt(*, payment_id: int) -> Payment | None:
    return (
        Payment.objects.select_related("invoice__patient", "invoice__payer", "received_by")
        .filter(pk=payment_id)
        .first()
    )


def balance_after(*, payment: Payment) -> Decimal:
    """What the invoice still owed once this payment was taken: its total less the payments up to and
    including this one and the credit notes written before it was received."""
    invoice = payment.invoice
    paid = Payment.objects.filter(invoice=invoice, pk__lte=payment.pk).aggregate(s=Sum("amount"))["s"] or ZERO
    credited = (
        CreditNote.objects.filter(invoice=invoice, created_at__lte=payment.received_at).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    return invoice.total - paid - credited
