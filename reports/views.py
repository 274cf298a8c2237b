"""Report pages: thin — validate the filters, ask the report's query, render (or stream CSV).

Every report is drawn by the same template from what its module declares (reports/catalog/).
"""

from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render

from core.audit import trail
from core.audit.models import AuditEvent
from core.csv_export import csv_download
from reports.board import ward_list
from reports.catalog import REPORTS
from reports.catalog.base import NAMES_REFUSED, Report
from reports.engine import freshness
from reports.headlines import dashboard_for


def csv_response(report: Report, answer: dict, args: dict, query: str) -> StreamingHttpResponse:
    columns = report.columns(answer)
    sent = trail.exported_rows(f"reports.{report.slug}", report.csv_rows(answer, args), detail=query)
    rows = ([c.of(row) for c in columns] for row in sent)
    return csv_download(report.slug, [c.label for c in columns], rows)


class TableRow(NamedTuple):
    cells: dict  # the answer's row
    link: str | None  # its drill-down: this page's query string with the report's filters for it
    css: str


def _table(report: Report, answer: dict, params: dict, user) -> list[TableRow]:
    table = []
    for row in answer["rows"]:
        drill = report.link(answer, row) if report.link else None
        if drill and not report.allowed(user, drill):
            drill = None  # what lies beneath names patients this user may not see
        link = "?" + urlencode({k: v for k, v in {**params, **drill}.items() if v not in (None, "")}) if drill else None
        table.append(TableRow(row, link, report.row_class(row) if report.row_class else ""))
    return table


@login_required
def report_page(request, slug: str):
    report = REPORTS.get(slug)
    if report is None:
        raise Http404
    if not request.user.has_perm(report.permission):
        raise PermissionDenied
    form = report.form(request.GET)
    context = {"report": report, "form": form}
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)
    args = form.query_args()
    if not report.allowed(request.user, args):
        raise PermissionDenied(NAMES_REFUSED)
    answer = report.query(**args)
    if request.GET.get("format") == "csv":
        query = "&".join(f"{k}={v}" for k, v in request.GET.items() if k != "format")
        trail.add([trail.event(AuditEvent.Action.EXPORT, f"reports.{slug}", detail=query)])
        return csv_response(report, answer, args, query)  # and one event per patient it names
    trail.read_rows(f"reports.{slug}", answer["rows"])
    params = {k: v for k, v in request.GET.items() if k != "format"}
    context.update(
        {
            "answer": answer,
            "columns": report.columns(answer),
            "rows": _table(report, answer, params, request.user),
            "totals": answer["totals"] if report.totals_row else None,
            "charts": report.charts(answer),
            "stale": freshness.warn(answer),
            "csv_query": "?" + "&".join(f"{k}={v}" for k, v in {**params, "format": "csv"}.items()),
        }
    )
    return render(request, "reports/report.html", context)


@login_required
def dashboard_page(request):
    dashboard = dashboard_for(request.user)
    if dashboard is None and request.user.has_perm("inpatient.discharge_admission"):
        return ward_list(request)  # the ward's nurses start from their ward's patients
    context = {"dashboard": dashboard, "stale": freshness.warn(dashboard)}
    return render(request, "reports/dashboard.html", context)
