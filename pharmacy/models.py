from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from billing.models import InvoiceLine
from clinical.models import Encounter


class Drug(models.Model):
    """The formulary."""

    class Form(models.TextChoices):
        TABLET = "tablet", "Tablet"
        CAPSULE = "capsule", "Capsule"
        SYRUP = "syrup", "Syrup"
        INJECTION = "injection", "Injection"
        INFUSION = "infusion", "Infusion"
        CREAM = "cream", "Cream"
        INHALER = "inhaler", "Inhaler"
        DROPS = "drops", "Drops"

    code = models.CharField(max_length=20, unique=True)
    generic_name = models.CharField(max_length=120)
    form = models.CharField(max_length=12, choices=Form.choices)
    strength = models.CharField(max_length=40, help_text="e.g. 500 mg, 5 mg/ml")
    unit = models.CharField(max_length=20, help_text="What one counts out: tablet, vial, bottle …")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Charged per unit dispensed.")
    reorder_level = models.PositiveIntegerField(default=0)
    ingredients = ArrayField(
        models.CharField(max_length=80), help_text="Active ingredients (lower case), checked against allergies."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["generic_name", "strength"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="drug_price_not_negative"),
            models.CheckConstraint(condition=~Q(ingredients=[]), name="drug_has_ingredients"),
        ]

    def __str__(self):
        return f"{self.generic_name} {self.strength} {self.get_form_display().lower()}"


class StockBatch(models.Model):
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="batches")
    lot_number = models.CharField(max_length=40)
    expiry_date = models.DateField()
    quantity_on_hand = models.IntegerField()
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["expiry_date", "received_at", "id"]
        verbose_name_plural = "stock batches"
        constraints = [
            models.CheckConstraint(condition=Q(quantity_on_hand__gte=0), name="batch_quantity_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="batch_unit_cost_not_negative"),
            models.UniqueConstraint(fields=["drug", "lot_number"], name="one_batch_per_drug_lot"),
        ]
        indexes = [models.Index(fields=["drug", "expiry_date"]), models.Index(fields=["expiry_date"])]

    def __str__(self):
        return f"{self.drug.generic_name} lot {self.lot_number} (exp {self.expiry_date})"


class PrescriptionQuerySet(models.QuerySet):
    def with_course_end(self):
        """Each with `course_end`: the end of its last day, or when it was stopped (pharmacy/safety/engine.py)."""
        from pharmacy.safety.engine import course_end

        p = Prescription._meta.db_table
        end = course_end(f"{p}.prescribed_at", f"{p}.duration_days", f"{p}.ended_at")
        return self.annotate(course_end=RawSQL(end, (), output_field=models.DateTimeField()))  # noqa: S611


class Prescription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PARTIALLY_DISPENSED = "partially_dispensed", "Partially dispensed"
        DISPENSED = "dispensed", "Dispensed"
        CANCELLED = "cancelled", "Cancelled"
        STOPPED = "stopped", "Stopped"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="prescriptions")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="prescriptions")
    dose = models.CharField(max_length=60, help_text="e.g. 500 mg")
    frequency = models.CharField(max_length=60, help_text="e.g. three times a day")
    duration_days = models.PositiveSmallIntegerField()
    quantity = models.PositiveIntegerField(help_text="Units to dispense in all.")
    quantity_dispensed = models.PositiveIntegerField(default=0)
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    notes = models.CharField(max_length=200, blank=True)
    prescribed_at = models.DateTimeField(default=timezone.now)
    # A course ends with its last day, or earlier when it is stopped (or the order cancelled): when, by
    # whom and why.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    end_reason = models.CharField(max_length=200, blank=True, db_default="")

    objects = PrescriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-prescribed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, duration_days__gt=0), name="prescription_positive"),
            models.CheckConstraint(
                condition=Q(quantity_dispensed__lte=F("quantity")), name="prescription_not_over_dispensed"
            ),
            models.CheckConstraint(
                condition=Q(status="stopped", ended_at__isnull=False) | ~Q(status="stopped"),
                name="prescription_stopped_has_end",
            ),
        ]
        indexes = [models.Index(fields=["status", "prescribed_at"])]

    def __str__(self):
        return f"{self.drug} — {self.dose} {self.frequency} for {self.duration_days} d"

    @property
    def remaining(self) -> int:
        return self.quantity - self.quantity_dispensed


class Dispense(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="dispenses")
    quantity = models.PositiveIntegerField()
    dispensed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    dispensed_at = models.DateTimeField(default=timezone.now)
    # When a safety check blocked it (pharmacy/safety/), who decided to dispense anyway, and why (each
    # finding is in OrderCheck). The columns keep their first names, from when only allergies blocked.
    override_reason = models.CharField(max_length=300, blank=True, db_column="allergy_override_reason")
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_column="allergy_override_by_id",
    )
    invoice_line = models.OneToOneField(InvoiceLine, on_delete=models.PROTECT, related_name="dispense", null=True)

    class Meta:
        ordering = ["-dispensed_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="dispense_quantity_positive")]
        indexes = [models.Index(fields=["dispensed_at"])]

    def __str__(self):
        return f"{self.quantity} x {self.prescription.drug} on {self.dispensed_at:%Y-%m-%d}"


class DispenseAllocation(models.Model):
    """Which batches a dispense took its units from (first expiry, first out)."""

    dispense = models.ForeignKey(Dispense, on_delete=models.PROTECT, related_name="allocations")
    batch = models.ForeignKey(StockBatch, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive")]

    def __str__(self):
        return f"{self.quantity} from {self.batch}"


class StockMovement(models.Model):
    """The stock ledger: every change of a batch's quantity. On hand always equals the sum of its movements."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        ADJUSTMENT = "adjustment", "Adjustment"
        DISPENSE = "dispense", "Dispense"

    class Reason(models.TextChoices):
        DAMAGED = "damaged", "Damaged"
        EXPIRED = "expired", "Expired"
        COUNT_CORRECTION = "count_correction", "Count correction"

    batch = models.ForeignKey(StockBatch, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Positive in, negative out.")
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    note = models.CharField(max_length=200, blank=True)
    dispense = models.ForeignKey(Dispense, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="movement_not_zero"),
            models.CheckConstraint(
                condition=Q(kind="adjustment", reason__in=["damaged", "expired", "count_correction"])
                | (~Q(kind="adjustment") & Q(reason="")),
                name="movement_adjustment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(kind="dispense", dispense__isnull=False, quantity__lt=0)
                | (~Q(kind="dispense") & Q(dispense__isnull=True)),
                name="movement_dispense_links_dispense",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity:+d} {self.batch}"


class OrderCheck(models.Model):
    """A safety finding shown when a drug was prescribed or dispensed (pharmacy/safety/engine.py), and what
    was decided: a warning acknowledged, or a block overridden with a reason, by whom and when. Nothing is
    written for an order a block stopped."""

    class Stage(models.TextChoices):
        PRESCRIBING = "prescribing", "Prescribing"
        DISPENSING = "dispensing", "Dispensing"

    class Action(models.TextChoices):
        BLOCK = "block", "Block"
        WARN = "warn", "Warning"

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="checks")
    dispense = models.ForeignKey(Dispense, on_delete=models.PROTECT, related_name="checks", null=True, blank=True)
    stage = models.CharField(max_length=12, choices=Stage.choices)
    rule = models.CharField(max_length=30)
    action = models.CharField(max_length=5, choices=Action.choices)
    subject = models.CharField(max_length=200)
    message = models.CharField(max_length=500)
    override_reason = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["prescription", "decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action="warn") | (Q(action="block") & ~Q(override_reason="")),
                name="ordercheck_block_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(stage="prescribing", dispense__isnull=True) | Q(stage="dispensing", dispense__isnull=False),
                name="ordercheck_dispensing_names_dispense",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.rule} at {self.get_stage_display().lower()}"


class SafetyTable(models.Model):
    """The safety engine's reference tables: derived from the curated lists (pharmacy/safety/classes.py,
    renal.py, pharmacy/interactions.py, clinical/allergens.py) and rewritten from them after every migrate
    (pharmacy/safety/tables.py). Read by the checks and by the patient-alerts view alike; never edited."""

    class Meta:
        abstract = True
        managed = False  # reference data: created by a migration, kept by the sync, not flushed by tests


class AllergenMatch(SafetyTable):
    """Every ingredient a coded allergen is checked against, and whether a match blocks or warns."""

    id = models.AutoField(primary_key=True)
    allergen_code = models.CharField(max_length=60)
    ingredient = models.CharField(max_length=80)
    action = models.CharField(max_length=5)
    why = models.CharField(max_length=300)

    class Meta(SafetyTable.Meta):
        db_table = "pharmacy_allergen_match"

    def __str__(self):
        return f"{self.allergen_code} -> {self.ingredient}: {self.action}"


class InteractionPair(SafetyTable):
    """The interaction table by ingredient, both ways round (`first + second` names the pair either way)."""

    id = models.AutoField(primary_key=True)
    here = models.CharField(max_length=80)
    there = models.CharField(max_length=80)
    first = models.CharField(max_length=80)
    second = models.CharField(max_length=80)
    severity = models.CharField(max_length=10)
    effect = models.CharField(max_length=200)

    class Meta(SafetyTable.Meta):
        db_table = "pharmacy_interaction_pair"

    def __str__(self):
        return f"{self.first} + {self.second} ({self.severity})"


class ClassMember(SafetyTable):
    """Which class each ingredient belongs to, and whether two current drugs of the class are a duplicate."""

    id = models.AutoField(primary_key=True)
    ingredient = models.CharField(max_length=80)
    class_code = models.CharField(max_length=40)
    class_name = models.CharField(max_length=80)
    duplicate = models.BooleanField()

    class Meta(SafetyTable.Meta):
        db_table = "pharmacy_class_member"

    def __str__(self):
        return f"{self.ingredient} in {self.class_code}"


class RenalRule(SafetyTable):
    """Below which eGFR an ingredient is blocked or warned about."""

    id = models.AutoField(primary_key=True)
    ingredient = models.CharField(max_length=80)
    target = models.CharField(max_length=80)
    below = models.IntegerField()
    action = models.CharField(max_length=5)
    advice = models.CharField(max_length=200)

    class Meta(SafetyTable.Meta):
        db_table = "pharmacy_renal_rule"

    def __str__(self):
        return f"{self.ingredient} below eGFR {self.below}: {self.action}"
