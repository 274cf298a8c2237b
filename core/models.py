import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    # Keys are 40+ random characters, so a plain SHA-256 is safe to store (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    """An integrator. Its roles are the groups of its service-account user; its key is stored hashed."""

    name = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    key_prefix = models.CharField(max_length=KEY_PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"

    def __str__(self):
        return self.name

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    def matches(self, key: str) -> bool:
        return secrets.compare_digest(self.key_hash, hash_key(key))


class IdempotencyKey(models.Model):
    """A POST's `Idempotency-Key`, committed in the same transaction as the write it made, with the
    response to replay. Scoped per user (an API client acts as its service-account user)."""

    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    # JSON text, not jsonb: the replay keeps the first response's exact key order.
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self):
        return f"{self.scope} {self.key}"


from core.audit.models import AuditEvent  # noqa: E402 (the audit trail lives in core/audit/)
from core.events.models import OutboxEvent  # noqa: E402 (the outbox lives in core/events/)

__all__ = ["ApiClient", "AuditEvent", "IdempotencyKey", "OutboxEvent"]
