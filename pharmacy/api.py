"""Pharmacy API: thin — validate, then one command or one query."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.views import AuditedReads, CommandViewSet
from core.audit import trail
from core.errors import InvalidInput
from pharmacy import commands, queries
from pharmacy import serializers as s

MAX_EXPIRY_WINDOW_DAYS = 3650


class DrugViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.DrugOutput
    input_serializer = s.DrugInput
    filterset_fields = ["form", "active", "code"]

    def get_queryset(self):
        return queries.drugs()

    @extend_schema(request=s.DrugInput, responses={201: s.DrugOutput})
    def create(self, request):
        """Add a drug to the formulary.

        Code, names, form, strength, unit, price and reorder level, with its ingredients and drug classes (used by
        the safety checks).
        """
        return self.created(commands.drug_create(**self.validated()))

    @extend_schema(
        parameters=[OpenApiParameter("low", bool, description="Only drugs at or below their reorder level.")],
        responses={200: s.StockLevelOutput(many=True)},
    )
    @action(detail=False, methods=["get"])
    def stock(self, request):
        """Stock levels of the formulary.

        Each drug's quantity on hand and its reorder level; `low=true` keeps only drugs at or below it. Takes the
        list's filters and pages.
        """
        drugs = queries.low_stock() if request.query_params.get("low") == "true" else queries.stock_levels()
        drugs = self.filter_queryset(drugs)  # the code, form and active filters the list takes
        page = self.paginate_queryset(drugs.order_by("generic_name", "id"))
        return self.get_paginated_response(s.StockLevelOutput(page, many=True).data)


class StockBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.BatchOutput
    input_serializer = s.ReceiveInput
    filterset_fields = ["drug", "lot_number"]
    action_permissions = {"adjust": ["pharmacy.change_stockbatch"]}

    def get_queryset(self):
        days = self.request.query_params.get("expiring_within")
        if days is None:
            return queries.batches()
        if not days.isdigit() or int(days) > MAX_EXPIRY_WINDOW_DAYS:
            raise InvalidInput(f"A whole number of days from 0 to {MAX_EXPIRY_WINDOW_DAYS}.", field="expiring_within")
        return queries.expiring_batches(within_days=int(days))

    @extend_schema(
        parameters=[OpenApiParameter("expiring_within", int, description="Batches with stock expiring within N days.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.ReceiveInput, responses={201: s.BatchOutput})
    def create(self, request):
        """Receive stock.

        A new batch of a drug (lot, expiry, quantity, cost), or more of a lot already on the shelf with the same
        expiry; written to the stock ledger.
        """
        data = self.validated()
        data["drug_id"] = data.pop("drug")
        return self.created(commands.stock_receive(received_by=request.user, **data))

    @extend_schema(request=s.AdjustInput, responses={200: s.BatchOutput})
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """Adjust a batch's stock.

        A correction with a reason (damaged, expired, count differs from the books); never below zero. Written to
        the stock ledger.
        """
        batch = commands.stock_adjust(batch_id=pk, adjusted_by=request.user, **self.validated(s.AdjustInput))
        return self.respond(batch)


class PrescriptionViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.PrescriptionOutput
    input_serializer = s.PrescriptionInput
    filterset_fields = ["status", "encounter", "drug", "encounter__patient"]
    action_permissions = {
        "cancel": ["pharmacy.change_prescription"],
        "stop": ["pharmacy.add_prescription", "pharmacy.change_prescription"],
        "check": ["pharmacy.add_prescription"],
    }

    def get_queryset(self):
        return queries.prescriptions().prefetch_related("checks")

    @extend_schema(request=s.PrescriptionInput, responses={201: s.PrescriptionOutput})
    def create(self, request):
        """Prescribe.

        An order in an open encounter after the safety checks (allergies, interactions, renal rules): a block stops
        it unless `override_reason` is given, and every finding is kept with the order. 409 naming `encounter` when
        it is closed.
        """
        data = self.validated()
        data["encounter_id"], data["drug_id"] = data.pop("encounter"), data.pop("drug")
        return self.created(commands.prescription_create(prescriber=request.user, **data))

    @extend_schema(
        request=s.PrescriptionInput,
        responses={200: s.ChecksOutput},
    )
    @action(detail=False, methods=["post"])
    def check(self, request):
        """Check an order without writing it.

        What the safety checks would say about this order now (the same rules the order itself is checked against
        when it is posted). Writes nothing.
        """
        data = self.validated()
        encounter = queries.encounter_for_order(encounter_id=data["encounter"], drug_id=data["drug"])
        trail.read_patient("pharmacy.order-checks", encounter.patient_id)
        findings = queries.order_review(
            patient_id=encounter.patient_id, drug_id=data["drug"], duration_days=data["duration_days"]
        )
        return Response({"checks": [f.as_dict() for f in findings]})

    @extend_schema(request=None, responses={200: s.PrescriptionOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a prescription.

        Withdraw an order that must not be given; what was dispensed of it stays dispensed. 409 when it is no longer
        active.
        """
        return self.respond(commands.prescription_cancel(prescription_id=pk, cancelled_by=request.user))

    @extend_schema(request=s.StopInput, responses={200: s.PrescriptionOutput})
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        """Stop a medication.

        The patient's course ends now: it leaves current medications and nothing more is dispensed on it. 409 when
        its course has already ended.
        """
        data = self.validated(s.StopInput)
        return self.respond(commands.prescription_stop(prescription_id=pk, stopped_by=request.user, **data))


class DispenseViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.DispenseOutput
    input_serializer = s.DispenseInput
    filterset_fields = ["prescription", "prescription__encounter__patient"]

    def get_queryset(self):
        return queries.dispenses().prefetch_related("checks")

    @extend_schema(request=s.DispenseInput, responses={201: s.DispenseOutput})
    def create(self, request):
        """Dispense a prescription.

        The safety checks again (a block needs the pharmacist's override reason), FEFO allocation from unexpired
        batches, the stock ledger, and a charge line on the encounter's draft invoice, for the encounter's payer (a
        new draft for that payer when there is none). 400 naming `prescription` when it does not exist; 409 naming
        `prescription` when it is not active or you prescribed it, naming `quantity` when stock is short.
        """
        data = self.validated()
        dispense = commands.medication_dispense(
            prescription_id=data["prescription"],
            quantity=data.get("quantity"),
            override_reason=data["override_reason"] or data["allergy_override_reason"],
            dispensed_by=request.user,
        )
        return self.created(dispense)
