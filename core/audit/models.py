from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted (the database refuses it too: see migration 0003)."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        LIST = "list", "Listed"
        EXPORT = "export", "Exported"
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    # Plain values, not foreign keys: an audit row outlives the user, client or patient it names, and a
    # cascade could never delete it anyway.
    user_id = models.IntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    api_client = models.CharField("API client", max_length=100, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    model = models.CharField(max_length=60, help_text="app_label.model (or reports.<slug> for exports)")
    object_id = models.CharField(max_length=40, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=300, blank=True, help_text="e.g. an export's filters")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        app_label = "hmis"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["patient_id", "at"], name="audit_patient_at"),
            models.Index(fields=["user_id", "at"], name="audit_user_at"),
            models.Index(fields=["at"], name="audit_at"),
        ]

    def __str__(self):
        who = self.api_client or self.username or "system"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.model}#{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")
