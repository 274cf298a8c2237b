from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from hmis.events import signals
        from reports.projections import dirtied_by

        signals.connect(dirtied_by())
