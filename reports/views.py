"""Report pages: thin — validate the filters, ask the report's query, render (or stream CSV).

Every report is drawn by the same template from what its module declares (reports/catalog/).
"""

import datetime
from typing import NamedTuple
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.audit import trail
from core.audit.models import AuditEvent
from core.csv_export import csv_download
from reports.board import ward_list
from reports.catalog import REPORTS
from reports.catalog.base import CLINICAL, FINANCIAL, NAMES_REFUSED, Report
from reports.engine import freshness
from reports.headlines import dashboard_for
from reports.lookups import LOOKUPS


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
        record = report.record_link(answer, row) if report.record_link and not link else None
        if record and user.has_perm(record[1]):
            link = record[0]
        table.append(TableRow(row, link, report.row_class(row) if report.row_class else ""))
    return table


def _show_effective(form) -> None:
    """Fill the boxes left empty with what the answer used (the defaults), so each shows the effective value:
    the Grain box reads Month when the figures are monthly, the dates the range they cover."""
    data = form.data.copy()
    for name, field in form.fields.items():
        if data.get(name) not in (None, ""):
            continue
        value = form.cleaned_data.get(name)
        if value in (None, "", ()):
            value = field.initial
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)  # AR aging's bucket bounds
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        if value not in (None, ""):
            data[name] = value
    form.data = data


def _parameters(form) -> list[tuple[str, str]]:
    """(label, value) of each filter as the answer used it, in words (names, not ids): the line above the
    figures, on screen and in print."""
    shown = []
    for field in form:
        value = field.value()
        if value in (None, "") or field.name in ("start", "end", "as_of"):  # the period says those
            continue
        if hasattr(field.field, "shown"):
            text = field.field.shown(value)
        elif isinstance(field.field, forms.ChoiceField):
            text = next((str(label) for key, label in field.field.choices if str(key) == str(value)), str(value))
        else:
            text = str(value)
        shown.append((str(field.label), text))
    return shown


def _period(report: Report, args: dict) -> str:
    """The days the figures cover, in words."""
    start, end = report.period(args) if report.period else (args.get("start"), args.get("end"))
    if start and end:
        return _("%(start)s to %(end)s (%(days)s days)") % {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "days": (end - start).days + 1,
        }
    if args.get("as_of"):
        return _("as of %(day)s") % {"day": args["as_of"].isoformat()}
    return ""


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
    _show_effective(form)
    context.update(
        {
            "period": _period(report, args),
            "parameters": _parameters(form),
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
def lookup(request, kind: str):
    """A report filter's suggestions (reports.lookups): {"results": [{id, value, label, detail}]}, for
    people who read reports (and, for patients, may see them)."""
    found = LOOKUPS.get(kind)
    if found is None:
        raise Http404
    readers = request.user.has_perm(FINANCIAL) or request.user.has_perm(CLINICAL)
    if not readers or (found.permission and not request.user.has_perm(found.permission)):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()[:100]
    results = [{**r, "value": r["label"]} for r in found.search(q)] if len(q) >= 2 else []
    return JsonResponse({"results": results})


@login_required
def dashboard_page(request):
    dashboard = dashboard_for(request.user)
    if dashboard is None and request.user.has_perm("inpatient.discharge_admission"):
        return ward_list(request)  # the ward's nurses start from their ward's patients
    context = {"dashboard": dashboard, "stale": freshness.warn(dashboard)}
    return render(request, "reports/dashboard.html", context)
