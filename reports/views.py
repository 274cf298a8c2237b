"""Report pages: thin — validate the filters, ask reports.queries, render (or stream CSV)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render

from core.audit import trail
from core.audit.models import AuditEvent
from core.csv_export import csv_download
from reports.catalog import REPORTS, dashboard_for
from reports.presenters import charts, drill_links


def csv_response(report, answer: dict, args: dict) -> StreamingHttpResponse:
    columns = report.columns(answer)
    rows = ([row.get(c.key) for c in columns] for row in report.csv_rows(answer, args))
    return csv_download(report.slug, [c.label for c in columns], rows)


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
    answer = report.query(**args)
    if request.GET.get("format") == "csv":
        query = "&".join(f"{k}={v}" for k, v in request.GET.items() if k != "format")
        trail.add([trail.event(AuditEvent.Action.EXPORT, f"reports.{slug}", detail=query)])
        return csv_response(report, answer, args)
    trail.read_rows(f"reports.{slug}", answer.get("rows", []))
    params = {k: v for k, v in request.GET.items() if k != "format"}
    rows = drill_links(answer, params) if slug == "ar-aging" else answer.get("rows", answer.get("drugs", []))
    context.update(
        {
            "answer": answer,
            "columns": report.columns(answer),
            "rows": rows,
            "totals": answer.get("totals") if slug in ("ar-aging", "revenue") else None,
            "charts": charts(slug, answer),
            "stale": (answer.get("stale_seconds") or 0) > settings.REPORT_STALE_WARNING_SECONDS,
            "csv_query": "?" + "&".join(f"{k}={v}" for k, v in {**params, "format": "csv"}.items()),
        }
    )
    return render(request, "reports/report.html", context)


@login_required
def dashboard_page(request):
    context = {"dashboard": dashboard_for(request.user)}
    if context["dashboard"]:
        context["stale"] = (context["dashboard"].get("stale_seconds") or 0) > settings.REPORT_STALE_WARNING_SECONDS
    return render(request, "reports/dashboard.html", context)
