"""Billing commands: one function per business action, one transaction on the primary.

Money is Decimal with two places, computed here on the server. Every change to what an invoice is owed
locks the invoice row first, so concurrent payments and credit notes see each other's effect.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import User
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import ZERO, CreditNote, Invoice, InvoiceLine, Payer, Payment, Service
from clinical.models import Department, Encounter, Patient
from core.commands import get_locked, get_or_invalid, known_related, lock_or_invalid, save_changes, save_new, validate
from core.errors import Conflict, InvalidInput

CENT = Decimal("0.01")
# A bill is read by people: past this many lines it is an import gone wrong, not a hospital stay.
MAX_LINES = 500
OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
# The payer of charges captured before anyone has said who pays (encounter_draft_invoice).
SELF_PAY = "Self-pay"


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic(using="default")
def payer_create(*, name: str, kind: str, payment_terms_days: int = 30) -> Payer:
    payer = Payer(name=name.strip(), kind=kind, payment_terms_days=payment_terms_days)
    validate(payer)
    return save_new(payer, on_conflict="A payer with this name already exists.", field="name")


@transaction.atomic(using="default")
def service_create(*, code: str, name: str, department_id: int, price: Decimal) -> Service:
    service = Service(
        code=code.strip().upper(),
        name=name.strip(),
        department=get_or_invalid(Department, department_id, field="department"),
        price=cents(price),
    )
    validate(service)
    return save_new(service, on_conflict="A service with this code already exists.", field="code")


@transaction.atomic(using="default")
def payer_update(*, payer_id: int, **changes) -> Payer:
    """Rename, change terms, or deactivate (a payer with invoices is never deleted)."""
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    return save_changes(
        get_locked(Payer, payer_id),
        changes,
        allowed=("name", "kind", "payment_terms_days", "active"),
        on_conflict="A payer with this name already exists.",
        field="name",
    )


@transaction.atomic(using="default")
def service_update(*, service_id: int, **changes) -> Service:
    """Change the price list: invoices keep the price they were issued with (lines hold their own)."""
    if "department_id" in changes:
        changes["department"] = get_or_invalid(Department, changes.pop("department_id"), field="department")
    if "price" in changes:
        changes["price"] = cents(changes["price"])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    return save_changes(get_locked(Service, service_id), changes, allowed=("name", "department", "price", "active"))


def _build_line(index: int, data: dict, errors: dict) -> InvoiceLine | None:
    """One invoice line from input; problems go into errors[index] (field -> messages)."""
    line_errors: dict[str, list[str]] = {}
    service = None
    if data.get("service") is not None:
        service = Service.objects.filter(pk=data["service"]).first()
        if service is None:
            line_errors["service"] = [f"Service {data['service']} does not exist."]
        elif not service.active:
            line_errors["service"] = [f"Service {service.code} is no longer offered."]
    elif not data.get("description") or data.get("unit_price") is None:
        line_errors["service"] = ["Choose a service, or give a description and a unit price."]
    quantity = Decimal(data.get("quantity", 1))
    if quantity <= 0:
        line_errors["quantity"] = ["Quantity must be greater than zero."]
    unit_price = data.get("unit_price")
    if service is not None and unit_price is not None and cents(unit_price) != service.price:
        # A service is charged at the price list's price; a different charge is a described line.
        line_errors["unit_price"] = [f"{service.code} costs {service.price} on the price list; leave the price empty."]
    if unit_price is None and service is not None:
        unit_price = service.price
    unit_price = cents(unit_price if unit_price is not None else 0)
    if unit_price < 0:
        line_errors["unit_price"] = ["Unit price cannot be negative."]
    discount = cents(data.get("discount") or 0)
    gross = cents(quantity * unit_price)
    if discount < 0:
        line_errors["discount"] = ["Discount cannot be negative."]
    elif discount > gross:
        line_errors["discount"] = [f"Discount cannot exceed the line amount ({gross})."]
    if line_errors:
        errors[index] = line_errors
        return None
    return InvoiceLine(
        service=service,
        description=data.get("description") or service.name,
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        line_total=gross - discount,
    )


def line_errors(data: dict) -> dict[str, list[str]]:
    """The problems with one line's input, by field (empty when it is fine). For forms that check early."""
    errors: dict[int, dict] = {}
    _build_line(0, data, errors)
    return errors.get(0, {})


def _retotal(invoice: Invoice, lines: list[InvoiceLine] | None = None) -> None:
    """The invoice's totals from its lines (read when not given)."""
    lines = list(invoice.lines.all()) if lines is None else lines
    invoice.subtotal = sum((cents(line.quantity * line.unit_price) for line in lines), ZERO)
    invoice.discount_total = sum((line.discount for line in lines), ZERO)
    invoice.total = invoice.subtotal - invoice.discount_total


def _original_invoice(encounter: Encounter, payer: Payer) -> Invoice | None:
    """The invoice a new one for this encounter and payer adds to, once one was issued: the first issued
    (not draft, not void) invoice of them that is not itself supplementary (else the first issued one)."""
    issued = (
        Invoice.objects.filter(encounter=encounter, payer=payer)
        .exclude(status__in=(Invoice.Status.DRAFT, Invoice.Status.VOID))
        .order_by("id")
    )
    return issued.filter(supplements__isnull=True).first() or issued.first()


def _captured_charges(encounter: Encounter | None, lines: list[dict], errors: dict) -> dict[int, InvoiceLine]:
    """The charges already captured on the encounter's drafts (dispenses, bed-days, services recorded) that
    the input names ({"charge": line id}), by position. The drafts are locked (after the encounter)."""
    named = {i: data["charge"] for i, data in enumerate(lines) if data.get("charge") is not None}
    if not named:
        return {}
    if encounter is None:
        for i in named:
            errors[i] = {"charge": [_("Only an invoice for an encounter takes the encounter's charges.")]}
        return {}
    drafts = list(
        Invoice.objects.select_for_update().filter(encounter=encounter, status=Invoice.Status.DRAFT).order_by("id")
    )
    on_drafts = {line.pk: line for line in InvoiceLine.objects.filter(invoice__in=drafts)}
    found, seen = {}, set()
    for i, charge in named.items():
        line = on_drafts.get(charge) if isinstance(charge, int) else None
        if line is None:
            errors[i] = {
                "charge": [_("Charge %(charge)s is not waiting on this encounter's drafts.") % {"charge": charge}]
            }
        elif charge in seen:
            errors[i] = {"charge": [_("Charge %(charge)s is listed twice.") % {"charge": charge}]}
        else:
            seen.add(charge)
            found[i] = line
    return found


def _empty_drafts_moved(drafts: set[int], *, into: Invoice, by: User | None) -> None:
    """Retotal the drafts charges were taken from; one left with no line is void, saying where they went."""
    for draft in Invoice.objects.filter(pk__in=drafts).order_by("id"):
        _retotal(draft)
        fields = ["subtotal", "discount_total", "total"]
        if not draft.lines.exists():
            draft.status, draft.voided_at, draft.voided_by = Invoice.Status.VOID, timezone.now(), by
            draft.void_reason = str(_("Its charges moved to %(invoice)s.") % {"invoice": into})
            fields += ["status", "voided_at", "voided_by", "void_reason"]
        draft.save(using="default", update_fields=fields)


@transaction.atomic(using="default")
def invoice_create(
    *,
    patient_id: int,
    payer_id: int,
    lines: list[dict],
    encounter_id: int | None = None,
    posting_date: datetime.date | None = None,
    due_date: datetime.date | None = None,
    notes: str = "",
    created_by: User | None = None,
) -> Invoice:
    """A draft invoice with its lines. All or nothing: one bad line and nothing is written.

    A line is new (a service, or a description and a unit price) or {"charge": id}: a charge already
    captured on one of the encounter's drafts (a dispense, a bed-day, a service recorded), which moves here
    as it is; a draft left with no line is void, saying where its charges went. Charges not named stay
    where they are. The encounter is locked first (as charge capture does), so a dispense at the same
    moment lands on this invoice or before it, never on a payer it no longer has. When the encounter
    already has an issued invoice for this payer, the new one is its supplementary invoice."""
    patient = get_or_invalid(Patient, patient_id, field="patient")
    payer = get_or_invalid(Payer, payer_id, field="payer")
    encounter = None
    if encounter_id is not None:
        encounter = lock_or_invalid(Encounter, encounter_id, field="encounter")
        if encounter.patient_id != patient.pk:
            raise InvalidInput("This encounter belongs to another patient.", field="encounter")
    if not lines:
        raise InvalidInput("An invoice needs at least one line.", field="lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"An invoice takes at most {MAX_LINES} lines ({len(lines)} given).", field="lines")
    line_errors: dict[int, dict] = {}
    captured = _captured_charges(encounter, lines, line_errors)
    built = [_build_line(i, data, line_errors) for i, data in enumerate(lines) if data.get("charge") is None]
    if line_errors:
        raise InvalidInput(errors={"lines": {str(i): problems for i, problems in sorted(line_errors.items())}})
    posting_date = posting_date or timezone.localdate()
    due_date = due_date or posting_date + datetime.timedelta(days=payer.payment_terms_days)
    if due_date < posting_date:
        raise InvalidInput("The due date cannot be before the posting date.", field="due_date")
    invoice = Invoice(
        patient=patient,
        payer=payer,
        encounter=encounter,
        supplements=_original_invoice(encounter, payer) if encounter else None,
        posting_date=posting_date,
        due_date=due_date,
        notes=notes,
        created_by=created_by,
    )
    moved = list(captured.values())
    _retotal(invoice, built + moved)  # saved with its totals: one insert, one audit event
    invoice.save(using="default")
    if moved:
        # Moved, not copied: the dispense or bed-day keeps pointing at its line.
        emptied = {line.invoice_id for line in moved}
        InvoiceLine.objects.filter(pk__in=[line.pk for line in moved]).update(invoice=invoice)
        _empty_drafts_moved(emptied, into=invoice, by=created_by)
    for line in built + moved:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(built)
    known_related(invoice, lines=built + moved, payments=[], credit_notes=[])
    return invoice


@transaction.atomic(using="default")
def invoice_add_line(
    *,
    invoice_id: int,
    service_id: int | None = None,
    quantity: Decimal = Decimal(1),
    unit_price: Decimal | None = None,
    discount: Decimal = ZERO,
    description: str = "",
) -> InvoiceLine:
    invoice = get_locked(Invoice, invoice_id)
    if invoice.status != Invoice.Status.DRAFT:
        raise Conflict(f"Invoice {invoice} is {invoice.get_status_display().lower()}; only drafts take new lines.")
    if invoice.lines.count() >= MAX_LINES:
        raise Conflict(f"Invoice {invoice} has {MAX_LINES} lines already; start another.")
    errors: dict[int, dict] = {}
    data = {"service": service_id, "quantity": quantity, "unit_price": unit_price, "discount": discount}
    line = _build_line(0, {**data, "description": description}, errors)
    if errors:
        raise InvalidInput(errors=errors[0])
    line.invoice = invoice
    line.save(using="default")
    _retotal(invoice)
    invoice.save(using="default", update_fields=["subtotal", "discount_total", "total"])
    return line


@transaction.atomic(using="default")
def encounter_payer(encounter: Encounter) -> Payer:
    """Who pays for this encounter: the payer of its latest invoice that is not void (the last word of the
    staff who billed the visit), else Self-pay while nobody has said who pays. Read inside the caller's
    transaction, with the encounter locked."""
    billed = (
        Invoice.objects.filter(encounter=encounter)
        .exclude(status=Invoice.Status.VOID)
        .order_by("-id")
        .values_list("payer_id", flat=True)
        .first()
    )
    if billed is not None:
        return Payer.objects.get(pk=billed)
    payer, _ = Payer.objects.get_or_create(
        name=SELF_PAY, defaults={"kind": Payer.Kind.SELF_PAY, "payment_terms_days": 0}
    )
    return payer


@transaction.atomic(using="default")
def encounter_draft_invoice(*, encounter_id: int, created_by: User | None = None) -> Invoice:
    """The draft invoice that charges captured during an encounter go on (dispenses, bed-days): the first
    draft of the encounter for the encounter's payer (encounter_payer), or a new draft for that payer, the
    supplementary invoice of the one issued to that payer if there is one. The encounter row is locked, so
    two charges never open two drafts."""
    encounter = Encounter.objects.select_for_update().get(pk=encounter_id)
    payer = encounter_payer(encounter)
    draft = (
        Invoice.objects.select_for_update()
        .filter(encounter=encounter, status=Invoice.Status.DRAFT, payer=payer)
        .order_by("id")
        .first()
    )
    if draft:
        return draft
    today = timezone.localdate()
    return Invoice.objects.create(
        patient_id=encounter.patient_id,
        encounter=encounter,
        payer=payer,
        supplements=_original_invoice(encounter, payer),
        posting_date=today,
        due_date=today + datetime.timedelta(days=payer.payment_terms_days),
        created_by=created_by,
    )


@transaction.atomic(using="default")
def invoice_notes_update(*, invoice_id: int, notes: str) -> Invoice:
    """Notes are the one thing about an invoice that changes freely, whatever its status."""
    invoice = get_locked(Invoice, invoice_id)
    invoice.notes = notes
    invoice.save(using="default", update_fields=["notes"])
    return invoice


def _next_invoice_number(year: int) -> str:
    # One statement makes the year's counter if needed and takes its next number, locking the row:
    # concurrent issuers queue here, and a rolled back issue rolls back its increment too, so numbers are
    # unique and gap-free per year.
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_invoicecounter (year, last_number) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE SET last_number = billing_invoicecounter.last_number + 1 "
            "RETURNING last_number",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"INV-{year}-{number:06d}"


def _settle_status(invoice: Invoice) -> None:
    if invoice.total - invoice.amount_paid - invoice.amount_credited == 0:
        invoice.status = Invoice.Status.PAID
    elif invoice.amount_paid > 0:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    else:
        invoice.status = Invoice.Status.ISSUED


@transaction.atomic(using="default")
def invoice_issue(*, invoice_id: int, issued_by: User | None = None) -> Invoice:
    invoice = get_locked(Invoice, invoice_id)
    if invoice.status != Invoice.Status.DRAFT:
        raise Conflict(f"Invoice {invoice} is already {invoice.get_status_display().lower()}.")
    # With their invoice joined, the audit trail reads the lines' patient off them (core/audit/loaded.py).
    lines = list(invoice.lines.select_related("invoice"))
    if not lines:
        raise InvalidInput("An invoice needs at least one line before it is issued.", field="lines")
    invoice.number = _next_invoice_number(invoice.posting_date.year)
    invoice.issued_at, invoice.issued_by = timezone.now(), issued_by
    _settle_status(invoice)
    invoice.save(using="default", update_fields=["number", "issued_at", "issued_by", "status"])
    known_related(invoice, lines=lines, payments=[], credit_notes=[])  # a draft takes no money
    return invoice


@transaction.atomic(using="default")
def invoice_void(*, invoice_id: int, reason: str, voided_by: User | None = None) -> Invoice:
    invoice = get_locked(Invoice, invoice_id)
    if invoice.status == Invoice.Status.VOID:
        raise Conflict(f"Invoice {invoice} is already void.")
    if invoice.amount_paid > 0:
        raise Conflict(f"Invoice {invoice} has payments ({invoice.amount_paid}); it cannot be voided.")
    if not reason.strip():
        raise InvalidInput("Say why the invoice is voided.", field="reason")
    invoice.status, invoice.voided_at, invoice.void_reason = Invoice.Status.VOID, timezone.now(), reason.strip()
    invoice.voided_by = voided_by
    invoice.save(using="default", update_fields=["status", "voided_at", "voided_by", "void_reason"])
    return invoice


def _money_date(invoice: Invoice, day: datetime.date | None, field: str) -> datetime.date:
    """Money moves on a real day: not in the future, not before the invoice was posted. (Otherwise AR aging
    gives a different outstanding for the same payer and date depending on how it is grouped.)"""
    day = day or timezone.localdate()
    if day > timezone.localdate():
        raise InvalidInput("The date cannot be in the future.", field=field)
    if day < invoice.posting_date:
        raise InvalidInput(f"The date cannot be before the invoice was posted ({invoice.posting_date}).", field=field)
    return day


def _receivable(invoice_id: int, action: str, *, field: str | None) -> Invoice:
    """The invoice locked, if it takes money. `field`: the input field that named it (a missing invoice is
    then a 400 on that field, as for every reference in a request body), or None when the URL named it
    (404; a conflict is then about the request as a whole: "detail")."""
    invoice = lock_or_invalid(Invoice, invoice_id, field=field) if field else get_locked(Invoice, invoice_id)
    if invoice.status not in OPEN_STATUSES:
        state = invoice.get_status_display().lower()
        raise Conflict(f"Invoice {invoice} is {state}; it cannot take a {action}.", field=field)
    return invoice


@transaction.atomic(using="default")
def payment_record(
    *,
    invoice_id: int,
    amount: Decimal,
    method: str,
    reference: str = "",
    paid_on: datetime.date | None = None,
    received_by: User | None = None,
) -> Payment:
    invoice = _receivable(invoice_id, "payment", field="invoice")
    amount = cents(amount)
    if amount <= 0:
        raise InvalidInput("A payment must be greater than zero.", field="amount")
    if amount > invoice.outstanding:
        raise InvalidInput(f"The payment exceeds the outstanding amount ({invoice.outstanding}).", field="amount")
    payment = Payment(
        invoice=invoice,
        amount=amount,
        method=method,
        reference=reference,
        paid_on=_money_date(invoice, paid_on, "paid_on"),
        received_by=received_by,
    )
    # The amount's check is made above and the receiver is the signed-in user: no query to validate them.
    validate(payment, exclude=["invoice", "received_by"], constraints=False)
    payment.save(using="default")
    invoice.amount_paid += amount
    _settle_status(invoice)
    invoice.save(using="default", update_fields=["amount_paid", "status"])
    return payment


@transaction.atomic(using="default")
def credit_note_create(
    *,
    invoice_id: int,
    amount: Decimal,
    reason: str,
    credited_on: datetime.date | None = None,
    created_by: User | None = None,
) -> CreditNote:
    invoice = _receivable(invoice_id, "credit note", field=None)
    amount = cents(amount)
    if amount <= 0:
        raise InvalidInput("A credit note must be greater than zero.", field="amount")
    if amount > invoice.outstanding:
        raise InvalidInput(f"The credit exceeds the outstanding amount ({invoice.outstanding}).", field="amount")
    if not reason.strip():
        raise InvalidInput("Say why the credit is given.", field="reason")
    note = CreditNote(
        invoice=invoice,
        amount=amount,
        reason=reason.strip(),
        credited_on=_money_date(invoice, credited_on, "credited_on"),
        created_by=created_by,
    )
    note.save(using="default")
    invoice.amount_credited += amount
    _settle_status(invoice)
    invoice.save(using="default", update_fields=["amount_credited", "status"])
    return note
