from django.db import models
from django.db.models.expressions import RawSQL
from django.utils import timezone


class OutboxEvent(models.Model):
    """One row per (change, projection it dirties), written in the changing transaction.

    `xid` is that transaction's id. A refresh records the snapshot it ran under; the projection is dirty
    exactly when some event's transaction is not visible in that snapshot. Sequence ids alone cannot say
    this: a transaction holding a lower id may commit after a refresh saw a higher one.
    """

    id = models.BigAutoField(primary_key=True)
    projection = models.CharField(max_length=40)
    source = models.CharField(max_length=60, help_text="app_label.model of the changed row")
    object_id = models.CharField(max_length=40)
    xid = models.BigIntegerField(db_default=RawSQL("pg_current_xact_id()::text::bigint", ()), editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "hmis"
        indexes = [models.Index(fields=["projection", "xid"], name="outbox_projection_xid")]

    def __str__(self):
        return f"{self.projection} <- {self.source}#{self.object_id}"
