from django import forms

from core.widgets import DateInput
from pharmacy.models import StockMovement

OVERRIDE_HELP = "Needed only when a safety check blocks (an allergy, a severe interaction, the kidneys): why anyway."


class DispenseForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, required=False, help_text="Empty: what remains on the prescription.")
    override_reason = forms.CharField(max_length=300, required=False, label="Override reason", help_text=OVERRIDE_HELP)


class ReceiveForm(forms.Form):
    drug_id = forms.ModelChoiceField(queryset=None, label="Drug")
    lot_number = forms.CharField(max_length=40)
    expiry_date = forms.DateField(widget=DateInput)
    quantity = forms.IntegerField(min_value=1)
    unit_cost = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)

    def __init__(self, *args, **kwargs):
        from pharmacy.queries import drugs

        super().__init__(*args, **kwargs)
        self.fields["drug_id"].queryset = drugs().filter(active=True)

    def clean_drug_id(self):
        return self.cleaned_data["drug_id"].pk


class StopForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why stop it", help_text="e.g. side effect, course changed.")


class AdjustForm(forms.Form):
    quantity_change = forms.IntegerField(help_text="Negative to remove units, positive to add.")
    reason = forms.ChoiceField(choices=StockMovement.Reason.choices)
    note = forms.CharField(max_length=200, required=False)


class PrescriptionForm(forms.Form):
    drug_id = forms.ModelChoiceField(queryset=None, label="Drug")
    dose = forms.CharField(max_length=60)
    frequency = forms.CharField(max_length=60)
    duration_days = forms.IntegerField(min_value=1, max_value=365, label="Days")
    quantity = forms.IntegerField(min_value=1)
    override_reason = forms.CharField(max_length=300, required=False, label="Override reason", help_text=OVERRIDE_HELP)
    # The safety findings the prescriber was shown (pharmacy.safety.fingerprint): a confirmation stands
    # for those findings only.
    reviewed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from pharmacy.queries import drugs

        super().__init__(*args, **kwargs)
        self.fields["drug_id"].queryset = drugs().filter(active=True)

    def clean_drug_id(self):
        return self.cleaned_data["drug_id"].pk
