from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from billing.models import InvoiceCounter
        from core import audit

        # The counter of invoice numbers holds no patient data: not audited.
        audit.register_app(self, patient=("patient_id", "invoice.patient_id"), exclude=(InvoiceCounter.__name__,))
