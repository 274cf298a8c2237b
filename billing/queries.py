"""Billing queries: one function per question; they read where the router sends them."""

from decimal import Decimal

from django.db.models import F, QuerySet, Sum

from billing.models import ZERO, CreditNote, Invoice, Payer, Payment, Service

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
    return Invoice.objects.select_related("patient", "payer").prefetch_related("lines", "payments", "credit_notes")


def payments() -> QuerySet[Payment]:
    return Payment.objects.select_related("invoice")


def credit_notes() -> QuerySet[CreditNote]:
    return CreditNote.objects.select_related("invoice")
