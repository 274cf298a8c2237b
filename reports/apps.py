from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from django.conf import settings

        from core.events import outbox, signals
        from reports.projections import dirtied_by, wanted
        from reports.tasks import refresh_projection

        outbox.register_refresh_task(refresh_projection.name)
        if settings.PROJECTION_HOOKS:  # off only to measure what the hooks cost (make bench)
            signals.connect(dirtied_by(), wanted)
