from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self):
        from core import audit

        audit.register_app(self, patient=("patient_id", "appointment.patient_id"))
