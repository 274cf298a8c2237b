"""Inpatient API: thin — validate, then one command or one query.

POST /admissions/ admits (201 with the admission) or, when the ward named has no free bed, puts the
encounter in the queue (202 with its admission request). The actions on an admission (transfer,
order-discharge, discharge, cancel) each need their own permission.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action

from core.api.views import AuditedReads, CommandViewSet
from inpatient import commands, queries
from inpatient import serializers as s
from inpatient.models import AdmissionRequest


class WardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.WardOutput
    input_serializer = s.WardInput
    filterset_fields = ["department", "active", "code"]

    def get_queryset(self):
        return queries.wards()

    @extend_schema(request=s.WardInput, responses={201: s.WardOutput})
    def create(self, request):
        """Open a ward.

        A ward of a department with its code, sex policy and bed-day price; add its beds with POST /beds/.
        """
        data = self.validated()
        data["department_id"] = data.pop("department")
        return self.created(commands.ward_create(**data))


class BedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.BedOutput
    input_serializer = s.BedInput
    filterset_fields = ["ward", "status"]
    action_permissions = {"status": ["inpatient.housekeep_bed"]}

    def get_queryset(self):
        return queries.beds()

    @extend_schema(request=s.BedInput, responses={201: s.BedOutput})
    def create(self, request):
        """Add a bed to a ward.

        A new bed, free at once and offered to the first patient waiting for that ward.
        """
        data = self.validated()
        return self.created(commands.bed_create(ward_id=data["ward"], label=data["label"]))

    @extend_schema(request=s.BedStatusInput, responses={200: s.BedOutput})
    @action(detail=True, methods=["post"], url_path="status")
    def status(self, request, pk=None):
        """Set a bed's housekeeping status.

        Cleaned (free), out of service (with a note), back in service. A bed that becomes free goes to the
        first patient waiting for it.
        """
        data = self.validated(s.BedStatusInput)
        return self.respond(commands.bed_set_status(bed_id=pk, changed_by=request.user, **data))


class AdmissionViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.AdmissionOutput
    input_serializer = s.AdmitInput
    filterset_fields = ["status", "patient", "encounter"]
    action_permissions = {
        "transfer": ["inpatient.transfer_admission"],
        "order_discharge": ["inpatient.order_discharge"],
        "discharge": ["inpatient.discharge_admission"],
        "cancel": ["inpatient.cancel_admission"],
    }

    def get_queryset(self):
        return queries.admissions()

    def _fresh(self, admission):
        return self.respond(queries.admissions().using("default").get(pk=admission.pk))

    @extend_schema(
        request=s.AdmitInput,
        responses={
            201: s.AdmissionOutput,
            202: OpenApiResponse(s.AdmissionRequestOutput, description="No free bed: waiting in the queue."),
        },
    )
    def create(self, request):
        """Admit an inpatient encounter.

        To the bed named (409 naming `bed` when it is not free), or to the first free bed of the ward named. When
        the ward has none, the encounter waits in the admission queue: 202 with its admission request.
        """
        data = self.validated()
        done = commands.admission_admit(
            encounter_id=data["encounter"],
            bed_id=data.get("bed"),
            ward_id=data.get("ward"),
            admitted_at=data.get("admitted_at"),
            priority=data["priority"],
            note=data["note"],
            admitted_by=request.user,
        )
        if isinstance(done, AdmissionRequest):
            return self.respond(done, code=status.HTTP_202_ACCEPTED, serializer_class=s.AdmissionRequestOutput)
        return self.created(queries.admissions().using("default").get(pk=done.pk))

    @extend_schema(request=s.TransferInput, responses={200: s.AdmissionOutput})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Transfer a patient to another bed.

        The old assignment ends and a new one starts at the same moment; the old bed goes for cleaning. 409 naming
        `bed` when the bed is not free.
        """
        data = self.validated(s.TransferInput)
        moved = commands.admission_transfer(
            admission_id=pk, bed_id=data["bed"], transferred_at=data.get("transferred_at"), transferred_by=request.user
        )
        return self._fresh(moved.admission)

    @extend_schema(request=s.DischargeOrderInput, responses={200: s.AdmissionOutput})
    @action(detail=True, methods=["post"], url_path="order-discharge")
    def order_discharge(self, request, pk=None):
        """Order a discharge.

        The clinician's order: the patient may go. The bed stays theirs until they actually leave. 409 when already
        ordered.
        """
        data = self.validated(s.DischargeOrderInput)
        return self._fresh(commands.admission_order_discharge(admission_id=pk, ordered_by=request.user, **data))

    @extend_schema(request=s.DischargeInput, responses={200: s.AdmissionOutput})
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        """Discharge a patient.

        The patient leaves: the bed goes for cleaning, the encounter closes, and every night up to now is charged.
        409 until a clinician has ordered the discharge.
        """
        data = self.validated(s.DischargeInput)
        admission = commands.admission_discharge(
            admission_id=pk, discharged_at=data.get("discharged_at"), discharged_by=request.user
        )
        return self._fresh(admission)

    @extend_schema(request=s.AdmissionCancelInput, responses={200: s.AdmissionOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an admission made in error.

        Struck out and kept on record (with the reason); the bed is free again at once. 409 once a night has been
        charged: discharge instead.
        """
        data = self.validated(s.AdmissionCancelInput)
        return self._fresh(commands.admission_cancel(admission_id=pk, reason=data["reason"], cancelled_by=request.user))


class AdmissionRequestViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.AdmissionRequestOutput
    input_serializer = s.AdmissionRequestInput
    filterset_fields = ["status", "ward", "patient", "encounter"]
    action_permissions = {"cancel": ["inpatient.change_admissionrequest"]}

    def get_queryset(self):
        return queries.admission_requests()

    @extend_schema(request=s.AdmissionRequestInput, responses={201: s.AdmissionRequestOutput})
    def create(self, request):
        """Queue an encounter for a bed.

        An inpatient encounter waits for a bed in a ward (or any ward), urgent ones first; a bed that becomes free
        is held for the first waiting.
        """
        data = self.validated()
        made = commands.admission_request_create(
            encounter_id=data["encounter"],
            ward_id=data["ward"],
            priority=data["priority"],
            note=data["note"],
            requested_by=request.user,
        )
        return self.created(made)

    @extend_schema(request=None, responses={200: s.AdmissionRequestOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Take a request out of the bed queue.

        The patient no longer needs a bed; a bed held for them goes to the next waiting. 409 when the request is no
        longer waiting.
        """
        return self.respond(commands.admission_request_cancel(request_id=pk))
