from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clinical.models import Department, Encounter, Patient

ZERO = Decimal("0.00")


def money(**kwargs):
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class Payer(models.Model):
    class Kind(models.TextChoices):
        SELF_PAY = "self_pay", "Self-pay"
        INSURER = "insurer", "Insurer"
        GOVERNMENT = "government", "Government scheme"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    payment_terms_days = models.PositiveSmallIntegerField(default=30, help_text="Days from posting to due date.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Service(models.Model):
    """The price list."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="services")
    price = money(validators=[MinValueValidator(ZERO)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    number = models.CharField(max_length=20, unique=True, null=True, blank=True, help_text="Assigned at issue.")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invoices")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="invoices", null=True, blank=True)
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="invoices")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    posting_date = models.DateField(default=timezone.localdate)
    due_date = models.DateField()
    # Totals are computed by the commands (Decimal, on the server) and kept with the invoice.
    subtotal = money(default=ZERO)
    discount_total = money(default=ZERO)
    total = money(default=ZERO)
    amount_paid = money(default=ZERO)
    amount_credited = money(default=ZERO)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    void_reason = models.CharField(max_length=200, blank=True)
    # Charges of an encounter that come after its invoice was issued go on a supplementary invoice of the
    # same payer, which names the invoice it adds to.
    supplements = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        related_name="supplementary_invoices",
        null=True,
        blank=True,
        help_text="The issued invoice of the same encounter and payer this one adds later charges to.",
    )

    class Meta:
        ordering = ["-posting_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    subtotal__gte=0, discount_total__gte=0, total__gte=0, amount_paid__gte=0, amount_credited__gte=0
                ),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total=F("subtotal") - F("discount_total")), name="invoice_total_is_subtotal_less_discount"
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__lte=F("total") - F("amount_credited")), name="invoice_not_overpaid"
            ),
            models.CheckConstraint(condition=Q(due_date__gte=F("posting_date")), name="invoice_due_after_posting"),
            models.CheckConstraint(
                condition=Q(status="draft", number__isnull=True)
                | Q(status="void")
                | (~Q(status__in=["draft", "void"]) & Q(number__isnull=False)),
                name="invoice_number_iff_issued",
            ),
            models.CheckConstraint(
                condition=~Q(status="void") | Q(amount_paid=0), name="invoice_void_only_when_unpaid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["payer", "status"]),
            models.Index(fields=["encounter", "status"]),
            models.Index(fields=["posting_date"]),  # the recent revenue view selects by it
            # Today's AR (reports_ar_open) reads only this: an index-only scan of the open invoices.
            models.Index(
                fields=["payer", "posting_date", "due_date"],
                include=["total", "amount_paid", "amount_credited"],
                condition=Q(status__in=["issued", "partially_paid"]),
                name="invoice_open_balances",
            ),
        ]

    def __str__(self):
        return self.number or f"Draft invoice #{self.pk}"

    @property
    def outstanding(self) -> Decimal | None:
        """What is still owed: None for a draft (nothing is owed until it is issued; its total will be), zero
        for a void invoice. Receivables (AR aging) count issued invoices only, so they agree."""
        if self.status == self.Status.DRAFT:
            return None
        if self.status == self.Status.VOID:
            return ZERO
        return self.total - self.amount_paid - self.amount_credited


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = money()
    discount = money(default=ZERO, help_text="Amount off this line.")
    line_total = money()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0, discount__gte=0), name="line_amounts_not_negative"),
            models.CheckConstraint(condition=Q(line_total__gte=0), name="line_discount_within_amount"),
        ]

    def __str__(self):
        return f"{self.description} x {self.quantity}"


class InvoiceCounter(models.Model):
    """Last invoice number per year; its row is locked by the issuing transaction, so numbers have no gaps."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Payment(models.Model):
    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        MOBILE = "mobile", "Mobile money"
        INSURANCE = "insurance", "Insurance remittance"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = money()
    method = models.CharField(max_length=16, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True)
    paid_on = models.DateField(default=timezone.localdate)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        indexes = [models.Index(fields=["paid_on"])]

    def __str__(self):
        return f"{self.amount} {self.get_method_display()} on {self.paid_on}"


class CreditNote(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    amount = money()
    reason = models.CharField(max_length=200)
    credited_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-credited_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive")]
        indexes = [models.Index(fields=["credited_on"])]

    def __str__(self):
        return f"Credit {self.amount} on {self.invoice}"
