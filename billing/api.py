"""Billing API: thin — validate, then one command or one query."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action

from billing import commands, queries
from billing import serializers as s
from billing.filters import InvoiceFilter, PaymentFilter
from core.api.views import AuditedReads, CommandViewSet


class PayerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.PayerOutput
    input_serializer = s.PayerInput
    filterset_fields = ["kind", "active"]

    def get_queryset(self):
        return queries.payers()

    @extend_schema(request=s.PayerInput, responses={201: s.PayerOutput})
    def create(self, request):
        """Create a payer.

        An insurer, government scheme or self-pay account with its payment terms (days from posting to due date).
        """
        return self.created(commands.payer_create(**self.validated()))


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.ServiceOutput
    input_serializer = s.ServiceInput
    filterset_fields = ["department", "active", "code"]

    def get_queryset(self):
        return queries.services()

    @extend_schema(request=s.ServiceInput, responses={201: s.ServiceOutput})
    def create(self, request):
        """Add a service to the price list.

        A billable service of a department at a price; invoice lines naming it are charged that price.
        """
        data = self.validated()
        data["department_id"] = data.pop("department")
        return self.created(commands.service_create(**data))


class InvoiceViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.InvoiceOutput
    input_serializer = s.InvoiceInput
    filterset_class = InvoiceFilter
    action_permissions = {
        "issue": ["billing.change_invoice"],
        "void": ["billing.change_invoice"],
        "credit_notes": ["billing.add_creditnote"],
    }

    def get_queryset(self):
        return queries.invoices()

    @extend_schema(request=s.InvoiceInput, responses={201: s.InvoiceOutput})
    def create(self, request):
        """Create a draft invoice.

        A draft with its lines for a patient and a payer (optionally an encounter of that patient). All or nothing:
        a bad line is reported as `lines.{position}.{field}` and nothing is written. A draft owes nothing yet: its
        `outstanding` is null until it is issued.
        """
        data = self.validated()
        invoice = commands.invoice_create(
            patient_id=data.pop("patient"),
            payer_id=data.pop("payer"),
            encounter_id=data.pop("encounter", None),
            lines=[dict(line) for line in data.pop("lines")],
            created_by=request.user,
            **data,
        )
        return self.created(invoice)

    @extend_schema(request=None, responses={200: s.InvoiceOutput})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """Issue an invoice.

        Assigns the next gap-free number of the year; the lines can no longer change and the total becomes
        outstanding. 409 unless it is a draft.
        """
        return self.respond(commands.invoice_issue(invoice_id=pk, issued_by=request.user))

    @extend_schema(request=s.VoidInput, responses={200: s.InvoiceOutput})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Void an invoice.

        With a reason; an invoice with payments cannot be voided (409), nor one already void.
        """
        return self.respond(commands.invoice_void(invoice_id=pk, voided_by=request.user, **self.validated(s.VoidInput)))

    @extend_schema(request=s.CreditNoteInput, responses={201: s.CreditNoteOutput})
    @action(detail=True, methods=["post"], url_path="credit-notes")
    def credit_notes(self, request, pk=None):
        """Credit an invoice.

        A credit note (amount and reason) against an issued invoice, at most what is outstanding. 409 when the
        invoice is a draft, paid or void.
        """
        note = commands.credit_note_create(invoice_id=pk, created_by=request.user, **self.validated(s.CreditNoteInput))
        return self.created(note, serializer_class=s.CreditNoteOutput)


class PaymentViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.PaymentOutput
    input_serializer = s.PaymentInput
    filterset_class = PaymentFilter

    def get_queryset(self):
        return queries.payments()

    @extend_schema(request=s.PaymentInput, responses={201: s.PaymentOutput})
    def create(self, request):
        """Record a payment.

        A payment against an issued invoice (`invoice`), at most what is outstanding; the invoice becomes partially
        paid or paid. 400 naming `invoice` when it does not exist, 409 naming `invoice` when it takes no payment
        (draft, paid, void).
        """
        data = self.validated()
        data["invoice_id"] = data.pop("invoice")
        return self.created(commands.payment_record(received_by=request.user, **data))
