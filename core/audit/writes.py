"""Every write to an audited model appends an audit event in the same transaction (so neither can exist
without the other). Commands, admin saves and management commands all save through the ORM."""

from django.db.models.signals import post_delete, post_save

from core import batch
from core.audit import trail
from core.audit.models import AuditEvent


def _record(instance, action: str) -> None:
    # Through the alias the row was written to (the primary): the event commits or rolls back with it,
    # inserted with the transaction's other events as it commits (core/batch.py).
    event = trail.event(action, trail.label(instance), object_id=instance.pk, patient_id=trail.patient_of(instance))
    batch.insert(instance._state.db or "default", [event])
    context = trail.current()
    if context is not None and event.patient_id is not None:
        context.written.add(event.patient_id)


def created_in_bulk(instances) -> None:
    """Audit rows a command inserted with bulk_create (which sends no signals): one event each, written in
    one statement, in the same transaction."""
    instances = list(instances)
    if not instances:
        return
    events = [
        trail.event(AuditEvent.Action.CREATE, trail.label(i), object_id=i.pk, patient_id=trail.patient_of(i))
        for i in instances
    ]
    batch.insert(instances[0]._state.db or "default", events)
    context = trail.current()
    if context is not None:
        context.written.update(e.patient_id for e in events if e.patient_id is not None)


def on_save(sender, instance, created, raw=False, **kwargs):
    if not raw:
        _record(instance, AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE)


def on_delete(sender, instance, **kwargs):
    _record(instance, AuditEvent.Action.DELETE)


def follow(model) -> None:
    post_save.connect(on_save, sender=model, dispatch_uid=f"audit.save.{model._meta.label}")
    post_delete.connect(on_delete, sender=model, dispatch_uid=f"audit.delete.{model._meta.label}")
