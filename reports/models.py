from django.db import models


class ProjectionState(models.Model):
    """Freshness of one projection. Written only by the refresh and sweep tasks."""

    name = models.CharField(max_length=40, primary_key=True)
    # The snapshot the last refresh ran under (pg_snapshot as text): events of transactions not visible in
    # it are what the projection has not yet seen.
    snapshot = models.TextField(blank=True)
    refreshed_at = models.DateTimeField(null=True, help_text="When the last refresh took its snapshot.")
    fresh_as_of = models.DateTimeField(null=True, help_text="Latest moment the projection was known complete.")
    lsn = models.CharField(max_length=20, blank=True, help_text="Primary WAL position after the last refresh.")
    last_duration_ms = models.PositiveIntegerField(default=0)
    refresh_count = models.PositiveBigIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_financial_reports", "Can view financial reports (AR aging, revenue)"),
            ("view_clinical_reports", "Can view clinical and stock reports (diagnoses, pharmacy stock)"),
            ("run_performance_test", "Can run the performance test (a live aggregate on the primary)"),
        ]

    def __str__(self):
        return self.name


class ReconciliationRun(models.Model):
    """One reconciliation of a projection against the write model: what drift it found and repaired."""

    projection = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    view_rows_differing = models.PositiveIntegerField(default=0)
    summary_fields_differing = models.PositiveIntegerField(default=0)
    largest_difference = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    sample_keys = models.JSONField(default=list)
    repaired = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["projection", "-started_at"])]

    def __str__(self):
        return f"{self.projection} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def drift(self) -> bool:
        return bool(self.view_rows_differing or self.summary_fields_differing)

    def as_dict(self) -> dict:
        return {
            "projection": self.projection,
            "at": self.finished_at.isoformat(),
            "drift": self.drift,
            "view_rows_differing": self.view_rows_differing,
            "summary_fields_differing": self.summary_fields_differing,
            "largest_difference": str(self.largest_difference),
            "sample_keys": self.sample_keys,
            "repaired": self.repaired,
        }


class RowDrift(models.Model):
    """A field of one row of a projection kept key by key that reconciliation found differing from a fresh
    computation (reports/engine/reconcile.py, projections with `differences`): the row counts as out of sync
    (the patient view answers `out_of_sync`) until it is repaired."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="row_drift")
    projection = models.CharField(max_length=40)
    key = models.CharField(max_length=100, help_text="The row's key (a patient's id).")
    field = models.CharField(max_length=40)
    view = models.JSONField(null=True, help_text="What the projection held.")
    source = models.JSONField(null=True, help_text="What the write model gives.")
    found_at = models.DateTimeField()
    repaired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "projection", "key", "field"]
        indexes = [
            models.Index(
                fields=["projection", "key"], condition=models.Q(repaired_at__isnull=True), name="rowdrift_open"
            )
        ]

    def __str__(self):
        return f"{self.projection} {self.key}: {self.field}"

    def as_dict(self) -> dict:
        return {"key": self.key, "field": self.field, "view": self.view, "source": self.source}
