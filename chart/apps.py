from django.apps import AppConfig


class ChartConfig(AppConfig):
    name = "chart"

    def ready(self):
        from core import links

        links.register_patient_record("chart:chart")
