"""The chart's API: the patient resource with its search over the patient view, a patient's summary (the
patient view's row) and their clinical alerts."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from chart.serializers import PatientListOutput, PatientSearchParams, SummaryOutput
from clinical import queries as clinical
from clinical.api import PatientViewSet as ClinicalPatientViewSet
from core.api.views import CommandViewSet
from core.audit import trail
from core.errors import NotFound
from reports.presenters import plain
from reports.queries import patient_alerts
from reports.queries.patients import patient_search, patient_summary


class PatientViewSet(ClinicalPatientViewSet):
    """The patient resource (clinical's: register, read, correct), listed and searched from the patient view."""

    @extend_schema(parameters=[PatientSearchParams], responses={200: PatientListOutput(many=True)})
    def list(self, request, *args, **kwargs):
        """Search patients.

        The way front desks search: `q` holds names in any order or "Family, Given" (accents and case
        ignored; starts of words; misspellings when nothing else matches), an MRN or its start, a phone
        number, or a birth date in the usual formats; `postal_code` (or its start), `min_age`/`max_age`,
        `sex`, and `condition` (an active problem; clinical staff only) narrow it. Best matches first. Read
        from the patient view on a caught-up standby. Each patient shown is recorded in the audit trail.
        """
        params = PatientSearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        criteria = {k: v for k, v in params.validated_data.items() if v not in ("", None)}
        if criteria.get("condition") and not request.user.has_perm("clinical.view_diagnosis"):
            raise PermissionDenied("Searching by condition needs permission to see diagnoses.")
        page = self.paginate_queryset(patient_search(**criteria))
        trail.read_rows("clinical.patient", [{"patient_id": row["id"]} for row in page])
        return self.get_paginated_response(PatientListOutput(page, many=True).data)

    def paginate_queryset(self, queryset):  # the search's rows, audited by list itself
        return self.paginator.paginate_queryset(queryset, self.request, view=self)


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

        The patient view's row: demographics with age, the problem list, allergies and what is known about
        them, current medications, the last vitals and encounters, upcoming appointments, the open balance,
        alert counts and `last_updated`, with `sync_status` (in_sync, syncing, out_of_sync) and freshness.
        Clinical staff only; audited per patient.
        """
        number = pk.isascii() and pk.isdigit()
        summary = patient_summary(patient_id=int(pk)) if number else None
        if summary is None:
            merged = clinical.patients().filter(pk=pk, merged_into__isnull=False).first() if number else None
            if merged:
                raise NotFound(
                    f"Patient {pk} was merged into patient {merged.merged_into_id}: read that record.",
                    extra={"merged_into": merged.merged_into_id},
                )
            raise Http404
        trail.read_patient("clinical.patient", summary["patient"]["id"])
        return Response(SummaryOutput(summary).data)

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
