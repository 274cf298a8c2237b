from decimal import Decimal

from rest_framework import serializers

from pharmacy.models import Dispense, DispenseAllocation, Drug, OrderCheck, Prescription, StockBatch, StockMovement
from pharmacy.safety.classes import classes_of


class DrugInput(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    generic_name = serializers.CharField(max_length=120)
    form = serializers.ChoiceField(choices=Drug.Form.choices)
    strength = serializers.CharField(max_length=40)
    unit = serializers.CharField(max_length=20)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    reorder_level = serializers.IntegerField(min_value=0, default=0)
    ingredients = serializers.ListField(child=serializers.CharField(max_length=80), allow_empty=False)


class DrugOutput(serializers.ModelSerializer):
    classes = serializers.SerializerMethodField(help_text="The drug classes of its ingredients (pharmacy/safety).")

    class Meta:
        model = Drug
        fields = [
            "id",
            "code",
            "generic_name",
            "form",
            "strength",
            "unit",
            "unit_price",
            "reorder_level",
            "ingredients",
            "classes",
            "active",
        ]

    def get_classes(self, drug) -> list[str]:
        return sorted({c.code for i in drug.ingredients for c in classes_of(i)})


class StockLevelOutput(serializers.ModelSerializer):
    on_hand = serializers.IntegerField()
    expired_on_hand = serializers.IntegerField()
    earliest_expiry = serializers.DateField(allow_null=True)
    below_reorder = serializers.BooleanField()

    class Meta:
        model = Drug
        fields = [
            "id",
            "code",
            "generic_name",
            "strength",
            "unit",
            "reorder_level",
            "on_hand",
            "expired_on_hand",
            "earliest_expiry",
            "below_reorder",
        ]


class ReceiveInput(serializers.Serializer):
    drug = serializers.IntegerField()
    lot_number = serializers.CharField(max_length=40)
    expiry_date = serializers.DateField()
    quantity = serializers.IntegerField(min_value=1)
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))


class AdjustInput(serializers.Serializer):
    quantity_change = serializers.IntegerField(help_text="Negative to remove units, positive to add.")
    reason = serializers.ChoiceField(choices=StockMovement.Reason.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BatchOutput(serializers.ModelSerializer):
    drug_name = serializers.CharField(source="drug.__str__", read_only=True)

    class Meta:
        model = StockBatch
        fields = [
            "id",
            "drug",
            "drug_name",
            "lot_number",
            "expiry_date",
            "quantity_on_hand",
            "unit_cost",
            "received_at",
        ]


class PrescriptionInput(serializers.Serializer):
    encounter = serializers.IntegerField()
    drug = serializers.IntegerField()
    dose = serializers.CharField(max_length=60)
    frequency = serializers.CharField(max_length=60)
    duration_days = serializers.IntegerField(min_value=1, max_value=365)
    quantity = serializers.IntegerField(min_value=1)
    notes = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why prescribe although a safety check blocks (an allergy, a high-severity interaction, a renal "
        "contraindication). Without it such an order is refused with 409 and the findings under `checks`.",
    )


class StopInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class CheckOutput(serializers.Serializer):
    rule = serializers.CharField()
    title = serializers.CharField()
    action = serializers.ChoiceField(choices=OrderCheck.Action.choices)
    subject = serializers.CharField()
    message = serializers.CharField()
    override_field = serializers.CharField(required=False, help_text="For a block: the field that overrides it.")


class ChecksOutput(serializers.Serializer):
    checks = CheckOutput(many=True)


class OrderCheckOutput(serializers.ModelSerializer):
    class Meta:
        model = OrderCheck
        fields = ["stage", "rule", "action", "subject", "message", "override_reason", "decided_by", "decided_at"]


class PrescriptionOutput(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="encounter.patient_id", read_only=True)
    drug_name = serializers.CharField(source="drug.__str__", read_only=True)
    checks = OrderCheckOutput(many=True, read_only=True, help_text="The safety findings and what was decided.")

    class Meta:
        model = Prescription
        fields = [
            "id",
            "encounter",
            "patient",
            "drug",
            "drug_name",
            "dose",
            "frequency",
            "duration_days",
            "quantity",
            "quantity_dispensed",
            "status",
            "prescriber",
            "prescribed_at",
            "notes",
            "ended_at",
            "end_reason",
            "checks",
        ]


class DispenseInput(serializers.Serializer):
    prescription = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1, required=False, help_text="Defaults to what remains.")
    override_reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why dispense although a safety check blocks; without it such a dispense is refused with 409.",
    )
    allergy_override_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Deprecated: `override_reason`."
    )


class AllocationOutput(serializers.ModelSerializer):
    lot_number = serializers.CharField(source="batch.lot_number")
    expiry_date = serializers.DateField(source="batch.expiry_date")

    class Meta:
        model = DispenseAllocation
        fields = ["batch", "lot_number", "expiry_date", "quantity"]


class DispenseOutput(serializers.ModelSerializer):
    allocations = AllocationOutput(many=True, read_only=True)
    checks = OrderCheckOutput(many=True, read_only=True)
    invoice = serializers.IntegerField(source="invoice_line.invoice_id", read_only=True)
    charge = serializers.DecimalField(source="invoice_line.line_total", max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Dispense
        fields = [
            "id",
            "prescription",
            "quantity",
            "dispensed_at",
            "dispensed_by",
            "allocations",
            "invoice",
            "charge",
            "override_reason",
            "override_by",
            "checks",
        ]
