from django.apps import AppConfig


class InpatientConfig(AppConfig):
    name = "inpatient"

    def ready(self):
        from core import audit

        # Wards and beds hold no patient's data (their writes are audited all the same).
        audit.register_app(self, patient=("patient_id", "admission.patient_id"))
