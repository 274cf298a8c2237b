from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from django.conf import settings

        from clinical.queries import register_code_usage
        from core.events import outbox, signals
        from pharmacy.safety import tables as safety_tables
        from reports.projections import REGISTRY, dirtied_by, wanted
        from reports.queries.diagnosis_usage import codes_by_use
        from reports.tasks import refresh_projection

        outbox.register_refresh_task(refresh_projection.name, live=tuple(n for n, p in REGISTRY.items() if p.live))
        if settings.PROJECTION_HOOKS:  # off only to measure what the hooks cost (make bench)
            signals.connect(dirtied_by(), wanted)
        register_code_usage(codes_by_use)  # the diagnosis picker ranks the hospital's usual codes first
        safety_tables.changed.connect(_reference_changed, dispatch_uid="hmis.reports.safety_tables")


def _reference_changed(sender, tables, **kwargs):
    """The safety engine's reference tables were rewritten (after a migrate): every projection whose views
    read them is recomputed whole (an event from a source its increments do not know)."""
    import re

    from core.events import outbox
    from reports.projections import REGISTRY

    for projection in REGISTRY.values():
        read = [t for t in tables if any(re.search(rf"\b{t}\b", view.select) for view in projection.views)]
        if read:
            outbox.record((projection.name,), "reference." + read[0], 0)
