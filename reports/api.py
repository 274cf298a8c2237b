"""Report endpoints: the same filters, queries and numbers as the pages, as JSON."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from core import keys
from core.api.schema import form_parameters
from core.api.throttling import PerClientThrottle
from core.audit import trail
from reports import queries
from reports.catalog import REPORTS
from reports.catalog.base import CLINICAL, FINANCIAL, NAMES_REFUSED, PERFORMANCE_TEST
from reports.filters import PerformanceFilter, valid_args
from reports.headlines import dashboard_for
from reports.presenters import plain
from reports.serializers import ReportAnswerSerializer


class _ReportPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        needed = view.needed_permissions()
        return bool(request.user and request.user.is_authenticated and any(request.user.has_perm(p) for p in needed))


def _errors(form) -> Response:
    return Response(
        {"errors": {field: [e["message"] for e in errs] for field, errs in form.errors.get_json_data().items()}},
        status=status.HTTP_400_BAD_REQUEST,
    )


class ReportView(APIView):
    """GET /api/v1/reports/{slug}/ — the report's answer: rows, totals, source, fresh_as_of, stale_seconds."""

    permission_classes = [_ReportPermission]
    slug = ""

    def needed_permissions(self):
        return [REPORTS[self.slug].permission]

    def get(self, request):
        report = REPORTS[self.slug]
        args = valid_args(report.form, request.query_params)
        if args is None:
            form = report.form(request.query_params)
            form.is_valid()
            return _errors(form)
        if not report.allowed(request.user, args):
            raise exceptions.PermissionDenied(NAMES_REFUSED)
        answer = report.query(**args)
        trail.read_rows(f"reports.{self.slug}", answer["rows"])  # rows by patient or invoice name patients
        return Response(plain(answer))


def _answer_schema(report) -> type:
    """The report's answer as a component of its own (`{Name}Answer`): its declared shape, else the shared one."""
    if report.answer_schema is not None:
        return report.answer_schema
    name = f"{report.slug.title().replace('-', '')}Answer"
    return type(name, (ReportAnswerSerializer,), {"__doc__": f"The {report.title} report's answer."})


def report_view(slug: str):
    """The view of one registered report, described in the OpenAPI schema from its declaration: its title,
    what it shows, its filters (types, enums, formats and defaults from its filter form), its answer."""
    report = REPORTS[slug]

    # A get of its own: extend_schema annotates the function it is given, and a shared one would give
    # every report the last report's title and the union of all their filters.
    @extend_schema(parameters=form_parameters(report.form), responses={200: _answer_schema(report)})
    def get(self, request):
        return ReportView.get(self, request)

    get.__doc__ = (
        f"{report.title}\n\n{report.description}\n\nThe same filters and figures as the page "
        f"/reports/{slug}/. Invalid filters answer 400 naming each; rows that name patients need a role that "
        "may see patients (403 otherwise)."
    )
    view = type(f"{slug.title().replace('-', '')}ReportView", (ReportView,), {"slug": slug, "get": get})
    return view.as_view()


class DashboardView(APIView):
    permission_classes = [_ReportPermission]

    def needed_permissions(self):
        return [FINANCIAL, CLINICAL]

    @extend_schema(responses={200: dict})
    def get(self, request):
        """The dashboard's headline numbers.

        Today's and the month's revenue, receivables outstanding and over 90 days, open encounters, stock
        alerts, beds and clinics: the figures your role may see, with their freshness; one Redis read when warm.
        """
        return Response(plain(dashboard_for(request.user)))


class PerformanceTestThrottle(SimpleRateThrottle):
    """One budget for everybody (PERFORMANCE_TEST_RATE): each run aggregates the ledger on the primary."""

    def get_rate(self):
        return settings.PERFORMANCE_TEST_RATE

    def get_cache_key(self, request, view):
        return f"{keys.THROTTLE}:performance-test"


class _QueuePermission(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(QUEUE_VIEWERS))


QUEUE_VIEWERS = "scheduling.view_queueentry"


class QueueBoardView(APIView):
    permission_classes = [_QueuePermission]

    @extend_schema(
        parameters=[OpenApiParameter("department", int, required=True, description="A department id.")],
        responses={200: dict},
    )
    def get(self, request):
        """A department's queue board.

        Waiting (with their waits), called and in consultation, from the queue-board projection on a caught-up
        standby, with its freshness. Names are shortened (given name and initial), as on the waiting-room screen.
        """
        department = request.query_params.get("department", "")
        if not department.isdigit() or len(department) > 12:
            return Response({"errors": {"department": ["A department id."]}}, status=status.HTTP_400_BAD_REQUEST)
        return Response(plain(queries.queue_board(department_id=int(department))))


class PerformanceTestView(APIView):
    permission_classes = [_ReportPermission]
    throttle_classes = [PerClientThrottle, PerformanceTestThrottle]

    def needed_permissions(self):
        return [PERFORMANCE_TEST]

    @extend_schema(
        parameters=form_parameters(PerformanceFilter),
        responses={200: dict},
    )
    def get(self, request):
        """Time a report three ways.

        The same answer computed live on the primary, read from its view and read from Redis, with the time
        each took. Admins only, a few runs a minute for the whole hospital; the live aggregate stops after
        PERFORMANCE_TEST_TIMEOUT_SECONDS (its result then says it timed out).
        """
        form = PerformanceFilter(request.query_params)
        if not form.is_valid():
            return _errors(form)
        return Response(plain(queries.performance_test(**form.query_args())))
