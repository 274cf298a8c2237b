import django_filters as filters
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice, Payer, Payment
from core.widgets import DateInput


class InvoiceFilter(filters.FilterSet):
    posted_from = filters.DateFilter(field_name="posting_date", lookup_expr="gte")
    posted_to = filters.DateFilter(field_name="posting_date", lookup_expr="lte")
    status = filters.MultipleChoiceFilter(choices=Invoice.Status.choices)

    class Meta:
        model = Invoice
        fields = ["status", "patient", "payer", "encounter", "number"]


class InvoicePageFilter(InvoiceFilter):
    """The billing clerk's list page: the API's filters, fewer of them, one status, date pickers."""

    status = filters.ChoiceFilter(choices=Invoice.Status.choices, empty_label=_("Any status"), label=_("Status"))
    payer = filters.ModelChoiceFilter(queryset=Payer.objects.all(), empty_label=_("Any payer"), label=_("Payer"))
    posted_from = filters.DateFilter(
        field_name="posting_date", lookup_expr="gte", widget=DateInput, label=_("Posted from")
    )
    posted_to = filters.DateFilter(field_name="posting_date", lookup_expr="lte", widget=DateInput, label=_("Posted to"))

    class Meta(InvoiceFilter.Meta):
        fields = ["status", "payer"]


class PaymentFilter(filters.FilterSet):
    paid_from = filters.DateFilter(field_name="paid_on", lookup_expr="gte")
    paid_to = filters.DateFilter(field_name="paid_on", lookup_expr="lte")
    patient = filters.NumberFilter(field_name="invoice__patient")

    class Meta:
        model = Payment
        fields = ["invoice", "patient", "method"]
