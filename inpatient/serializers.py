from decimal import Decimal

from rest_framework import serializers

from inpatient.models import Admission, AdmissionRequest, Bed, BedAssignment, Ward


class WardInput(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)
    department = serializers.IntegerField()
    sex_policy = serializers.ChoiceField(choices=Ward.SexPolicy.choices, default=Ward.SexPolicy.ANY)
    bed_day_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))


class WardOutput(serializers.ModelSerializer):
    class Meta:
        model = Ward
        fields = ["id", "code", "name", "department", "sex_policy", "bed_day_price", "active"]


class BedInput(serializers.Serializer):
    ward = serializers.IntegerField()
    label = serializers.CharField(max_length=20)


class BedStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(s, s) for s in (Bed.Status.FREE, Bed.Status.CLEANING, Bed.Status.OUT_OF_SERVICE)],
        help_text="free (cleaned, back in service, or a reservation released), cleaning, out_of_service.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BedOutput(serializers.ModelSerializer):
    ward_name = serializers.CharField(source="ward.name", read_only=True)

    class Meta:
        model = Bed
        fields = ["id", "ward", "ward_name", "label", "status", "status_changed_at", "reserved_for", "note"]


class AdmitInput(serializers.Serializer):
    encounter = serializers.IntegerField(help_text="An open inpatient encounter.")
    bed = serializers.IntegerField(required=False, help_text="This bed (409 when it is not free) …")
    ward = serializers.IntegerField(required=False, help_text="… or the ward's first free bed, else the queue (202).")
    admitted_at = serializers.DateTimeField(required=False)
    priority = serializers.ChoiceField(choices=AdmissionRequest.Priority.choices, default="routine")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TransferInput(serializers.Serializer):
    bed = serializers.IntegerField()
    transferred_at = serializers.DateTimeField(required=False)


class DischargeOrderInput(serializers.Serializer):
    disposition = serializers.ChoiceField(choices=Admission.Disposition.choices, default="home")
    follow_up = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DischargeInput(serializers.Serializer):
    discharged_at = serializers.DateTimeField(required=False)


class AdmissionCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class AssignmentOutput(serializers.ModelSerializer):
    ward = serializers.IntegerField(source="bed.ward_id", read_only=True)
    bed_label = serializers.CharField(source="bed.label", read_only=True)

    class Meta:
        model = BedAssignment
        fields = ["id", "bed", "bed_label", "ward", "reason", "started_at", "ended_at", "cancelled"]


class AdmissionOutput(serializers.ModelSerializer):
    bed = serializers.SerializerMethodField()
    history = AssignmentOutput(source="assignments", many=True, read_only=True)

    class Meta:
        model = Admission
        fields = [
            "id",
            "encounter",
            "patient",
            "request",
            "status",
            "bed",
            "admitted_at",
            "discharge_ordered_at",
            "disposition",
            "follow_up",
            "discharged_at",
            "cancelled_at",
            "cancel_reason",
            "history",
        ]

    def get_bed(self, admission) -> int | None:
        current = admission.current_assignment
        return current.bed_id if current else None


class AdmissionRequestInput(serializers.Serializer):
    encounter = serializers.IntegerField()
    ward = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Empty: any ward.")
    priority = serializers.ChoiceField(choices=AdmissionRequest.Priority.choices, default="routine")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AdmissionRequestOutput(serializers.ModelSerializer):
    class Meta:
        model = AdmissionRequest
        fields = ["id", "encounter", "patient", "ward", "priority", "note", "status", "requested_at", "closed_at"]
