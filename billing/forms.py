from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import Payment
from core.widgets import DateInput


class NewInvoiceForm(forms.Form):
    payer_id = forms.ModelChoiceField(queryset=None, label=_("Payer"))
    posting_date = forms.DateField(required=False, widget=DateInput, help_text=_("Default: today."))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from billing.queries import payers

        super().__init__(*args, **kwargs)
        self.fields["payer_id"].queryset = payers().filter(active=True)

    def clean_payer_id(self):
        return self.cleaned_data["payer_id"].pk


class PricedSelect(forms.Select):
    """A service picker whose options carry their price (data-price), for the page's running total."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-price"] = str(instance.price)
        return option


class ServiceChoiceField(forms.ModelChoiceField):
    widget = PricedSelect

    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name} — {obj.price}"


class ChargeForm(forms.Form):
    """A charge already captured on the encounter's drafts (a dispense, a bed-day, a service recorded)."""

    charge = forms.IntegerField(widget=forms.HiddenInput)


class LineForm(forms.Form):
    service = ServiceChoiceField(queryset=None, required=False, label=_("Service"))
    quantity = forms.DecimalField(
        min_value=0.01, max_digits=10, decimal_places=2, initial=1, required=False, label=_("Quantity")
    )
    discount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, required=False, label=_("Discount"))

    def __init__(self, *args, **kwargs):
        from billing.queries import services

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services().filter(active=True)


# Rows are added and removed in the browser (static/js/invoice-lines.js); without JavaScript, "Remove"
# is a checkbox and one empty row is offered.
ChargeFormSet = forms.formset_factory(ChargeForm, extra=0, can_delete=True)
LineFormSet = forms.formset_factory(LineForm, extra=1, can_delete=True)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, label=_("Amount"))
    method = forms.ChoiceField(choices=Payment.Method.choices, label=_("Method"))
    reference = forms.CharField(max_length=100, required=False, label=_("Reference"))
    paid_on = forms.DateField(required=False, widget=DateInput, label=_("Paid on"))


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, label=_("Amount"))
    reason = forms.CharField(max_length=200, label=_("Reason"))


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=200, label=_("Reason for voiding"))


class InvoiceSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        label=_("Search"),
        widget=forms.SearchInput(attrs={"placeholder": _("Number, patient name or MRN")}),
    )


class UnbilledSearchForm(forms.Form):
    q = forms.CharField(
        required=False, label=_("Patient"), widget=forms.SearchInput(attrs={"placeholder": _("Name or MRN")})
    )
