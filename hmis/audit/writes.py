"""Every write to hospital data appends an audit event in the same transaction (so neither can exist
without the other). Commands, admin saves and management commands all save through the ORM."""

from django.apps import apps
from django.db.models.signals import post_delete, post_save

from hmis.audit import trail
from hmis.audit.models import AuditEvent

AUDITED_APPS = ("clinical", "billing", "pharmacy")
AUDITED_MODELS = ("hmis.ApiClient", "auth.User", "auth.Group")
NOT_AUDITED = ("clinical.Icd10Code", "billing.InvoiceCounter")  # reference data, number counter


def _record(instance, action: str) -> None:
    # Through the alias the row was written to (the primary): the event commits or rolls back with it.
    event = trail.event(action, trail.label(instance), object_id=instance.pk, patient_id=trail.patient_of(instance))
    AuditEvent.objects.using(instance._state.db or "default").bulk_create([event])


def on_save(sender, instance, created, raw=False, **kwargs):
    if not raw:
        _record(instance, AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE)


def on_delete(sender, instance, **kwargs):
    _record(instance, AuditEvent.Action.DELETE)


def audited_models():
    for config in apps.get_app_configs():
        if config.label in AUDITED_APPS:
            yield from (m for m in config.get_models() if m._meta.label not in NOT_AUDITED)
    yield from (apps.get_model(label) for label in AUDITED_MODELS)


def connect() -> None:
    for model in audited_models():
        post_save.connect(on_save, sender=model, dispatch_uid=f"audit.save.{model._meta.label}")
        post_delete.connect(on_delete, sender=model, dispatch_uid=f"audit.delete.{model._meta.label}")
