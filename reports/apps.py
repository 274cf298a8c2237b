from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from django.conf import settings

        from hmis.events import signals
        from reports.projections import dirtied_by, wanted

        if settings.PROJECTION_HOOKS:  # off only to measure what the hooks cost (make bench)
            signals.connect(dirtied_by(), wanted)
