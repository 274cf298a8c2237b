from decimal import Decimal

from rest_framework import serializers

from billing.models import CreditNote, Invoice, InvoiceLine, Payer, Payment, Service

MONEY = {"max_digits": 12, "decimal_places": 2}


class PayerInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Payer.Kind.choices)
    payment_terms_days = serializers.IntegerField(min_value=0, max_value=365, default=30)


class PayerOutput(serializers.ModelSerializer):
    class Meta:
        model = Payer
        fields = ["id", "name", "kind", "payment_terms_days", "active"]


class ServiceInput(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    department = serializers.IntegerField()
    price = serializers.DecimalField(**MONEY, min_value=Decimal("0"))


class ServiceOutput(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Service
        fields = ["id", "code", "name", "department", "department_name", "price", "active"]


class LineInput(serializers.Serializer):
    service = serializers.IntegerField(required=False, allow_null=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"), default=Decimal(1))
    unit_price = serializers.DecimalField(
        **MONEY, min_value=Decimal("0"), required=False, allow_null=True, help_text="Defaults to the price list."
    )
    discount = serializers.DecimalField(**MONEY, min_value=Decimal("0"), default=Decimal("0"))


class InvoiceInput(serializers.Serializer):
    patient = serializers.IntegerField()
    payer = serializers.IntegerField()
    encounter = serializers.IntegerField(required=False, allow_null=True)
    posting_date = serializers.DateField(required=False)
    due_date = serializers.DateField(required=False, help_text="Defaults to posting date + the payer's terms.")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    lines = LineInput(many=True, allow_empty=False)


class VoidInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class CreditNoteInput(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    reason = serializers.CharField(max_length=200)
    credited_on = serializers.DateField(required=False)


class PaymentInput(serializers.Serializer):
    invoice = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    paid_on = serializers.DateField(required=False)


class LineOutput(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["id", "service", "description", "quantity", "unit_price", "discount", "line_total"]


class PaymentOutput(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "invoice", "amount", "method", "reference", "paid_on", "received_at"]


class CreditNoteOutput(serializers.ModelSerializer):
    class Meta:
        model = CreditNote
        fields = ["id", "invoice", "amount", "reason", "credited_on", "created_at"]


class InvoiceOutput(serializers.ModelSerializer):
    outstanding = serializers.DecimalField(
        **MONEY,
        read_only=True,
        allow_null=True,
        help_text="What is still owed: total - amount_paid - amount_credited once issued; null while the invoice "
        "is a draft (status `draft`: nothing is owed until it is issued, then its total is); 0.00 when void.",
    )
    lines = LineOutput(many=True, read_only=True)
    payments = PaymentOutput(many=True, read_only=True)
    credit_notes = CreditNoteOutput(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "patient",
            "encounter",
            "payer",
            "supplements",
            "posting_date",
            "due_date",
            "subtotal",
            "discount_total",
            "total",
            "amount_paid",
            "amount_credited",
            "outstanding",
            "notes",
            "issued_at",
            "voided_at",
            "void_reason",
            "lines",
            "payments",
            "credit_notes",
        ]
