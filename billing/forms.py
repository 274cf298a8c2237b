from django import forms

from billing.models import Payment
from core.widgets import DateInput


class NewInvoiceForm(forms.Form):
    payer_id = forms.ModelChoiceField(queryset=None, label="Payer")
    posting_date = forms.DateField(required=False, widget=DateInput, help_text="Default: today.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from billing.queries import payers

        super().__init__(*args, **kwargs)
        self.fields["payer_id"].queryset = payers().filter(active=True)

    def clean_payer_id(self):
        return self.cleaned_data["payer_id"].pk


class LineForm(forms.Form):
    service = forms.ModelChoiceField(queryset=None, required=False, label="Service")
    quantity = forms.DecimalField(min_value=0.01, max_digits=10, decimal_places=2, initial=1, required=False)
    discount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2, required=False)

    def __init__(self, *args, **kwargs):
        from billing.queries import services

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services().filter(active=True)


LineFormSet = forms.formset_factory(LineForm, extra=3)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    method = forms.ChoiceField(choices=Payment.Method.choices)
    reference = forms.CharField(max_length=100, required=False)
    paid_on = forms.DateField(required=False, widget=DateInput)


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2)
    reason = forms.CharField(max_length=200)


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Reason for voiding")
