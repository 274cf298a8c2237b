"""The chart's API: a patient's summary (the chart's read model) and their clinical alerts."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from chart.queries import patient_summary
from chart.serializers import SummaryOutput
from clinical import queries as clinical
from core.api.views import CommandViewSet
from core.audit import trail
from reports.presenters import plain
from reports.queries import patient_alerts


class PatientChartViewSet(CommandViewSet):
    """Routes under /patients/{id}/ beside the clinical app's patient resource."""

    queryset = clinical.patients()  # the schema's type of {id}; each action reads through its own query

    # The summary shows diagnoses, allergies and medications: clinical staff only; alerts need lab results.
    action_permissions = {
        "summary": ["clinical.view_patient", "clinical.view_diagnosis"],
        "alerts": ["clinical.view_labresult"],
    }

    @extend_schema(responses={200: SummaryOutput})
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        """A patient's summary.

        The chart's read model: demographics, the problem list, allergies and what is known about them,
        current medications, the last encounters, the open balance and upcoming appointments. Clinical staff
        only; audited per patient.
        """
        summary = patient_summary(patient_id=self.kwargs["pk"]) if pk.isdigit() else None
        if summary is None:
            raise Http404
        trail.read_one(summary["patient"])
        return self.respond(summary, serializer_class=SummaryOutput)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def alerts(self, request, pk=None):
        """A patient's clinical alerts.

        The patient's active alerts (allergy and interaction conflicts, critical labs, abnormal vitals, care
        gaps) with reasons and severity, from the patient-alerts projection, with its freshness (fresh_as_of,
        stale_seconds).
        """
        if not pk.isdigit() or not clinical.patient_exists(patient_id=int(pk)):
            raise Http404
        trail.read_patient("reports.patient-alerts", int(pk))
        return Response(plain(patient_alerts(patient_id=int(pk))))
