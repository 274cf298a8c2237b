"""Clinical API: thin — validate, then one command or one query."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from clinical import commands, queries
from clinical.serializers import PatientInput, PatientOutput


class PatientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PatientOutput

    def get_queryset(self):
        return queries.patient_search(q=self.request.query_params.get("q", ""))

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Name words or exact MRN.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PatientInput, responses={201: PatientOutput})
    def create(self, request):
        data = PatientInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = commands.patient_register(**data.validated_data)
        return Response(PatientOutput(patient).data, status=status.HTTP_201_CREATED)
