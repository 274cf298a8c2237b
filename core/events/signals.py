"""post_save / post_delete receivers that write outbox events for the projections a model feeds."""

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from core.events import outbox


def _receiver(projections: tuple[str, ...], source: str, wanted):
    def on_change(sender, instance, update_fields=None, created=False, **kwargs):
        names = tuple(name for name in projections if wanted(name, source, instance, update_fields, created))
        outbox.record(names, source, instance.pk)

    return on_change


def connect(
    dirtied_by: dict[str, tuple[str, ...]], wanted=lambda name, source, instance, fields, created: True
) -> None:
    """dirtied_by: {"app_label.Model": (projection names)} (see reports.projections.dirtied_by);
    wanted(name, source, instance, update_fields, created) filters them per change (reports.projections.wanted)."""
    for label, projections in dirtied_by.items():
        model = apps.get_model(label)
        handler = _receiver(projections, label.lower(), wanted)
        post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"outbox.save.{label}")
        post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"outbox.delete.{label}")
