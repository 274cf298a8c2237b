import django_filters as filters

from billing.models import Invoice, Payment


class InvoiceFilter(filters.FilterSet):
    posted_from = filters.DateFilter(field_name="posting_date", lookup_expr="gte")
    posted_to = filters.DateFilter(field_name="posting_date", lookup_expr="lte")
    status = filters.MultipleChoiceFilter(choices=Invoice.Status.choices)

    class Meta:
        model = Invoice
        fields = ["status", "patient", "payer", "encounter", "number"]


class PaymentFilter(filters.FilterSet):
    paid_from = filters.DateFilter(field_name="paid_on", lookup_expr="gte")
    paid_to = filters.DateFilter(field_name="paid_on", lookup_expr="lte")
    patient = filters.NumberFilter(field_name="invoice__patient")

    class Meta:
        model = Payment
        fields = ["invoice", "patient", "method"]
