import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class BulkExport(models.Model):
    """A FHIR Bulk Data `$export` (system or Patient level): asked for by a user, run by a worker into NDJSON
    files, kept until `expires_at`. Its progress is what the status URL, the admin and `fhir_exports` show."""

    class Level(models.TextChoices):
        SYSTEM = "system", "System"
        PATIENT = "patient", "Patient"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    id = models.BigAutoField(primary_key=True)
    key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False, help_text="Its name in URLs and files.")
    level = models.CharField(max_length=8, choices=Level.choices)
    types = models.JSONField(help_text="The resource types asked for, in export order.")
    since = models.DateTimeField(null=True, blank=True, help_text="Only resources changed since then (_since).")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    request_url = models.CharField(max_length=1000)
    audit = models.JSONField(default=dict, help_text="Who asked, from where, in which request (for the export events).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.BigIntegerField(default=0, help_text="Rows to read (known once it starts).")
    rows_done = models.BigIntegerField(default=0)
    current_type = models.CharField(max_length=40, blank=True)
    output = models.JSONField(default=list, help_text="[{type, file, count}] of the files written.")
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = "bulk export"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_done__gte=0, rows_total__gte=0), name="bulkexport_counts_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed", "cancelled", "expired"]),
                name="bulkexport_status_known",
            ),
        ]
        permissions = [("run_bulk_export", "Can export every patient's record (FHIR Bulk Data)")]

    def __str__(self):
        return f"{self.get_level_display()} export {self.key} ({self.get_status_display().lower()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
