from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    name = "pharmacy"

    def ready(self):
        from core import audit

        audit.register_app(self, patient=("encounter.patient_id", "prescription.encounter.patient_id"))
