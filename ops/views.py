import json

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import metrics
from ops import system
from ops.metrics import SystemCollector
from ops.status import readiness, system_status


def _is_ops(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and user.is_staff


@require_GET
def healthz(request):
    """Up or down for load balancers and anyone; the servers, versions and WAL positions behind it only for
    signed-in staff (operators): an anonymous caller learns nothing about the database."""
    report = system_status()
    code = 503 if report["status"] == "down" else 200
    if not _is_ops(request):
        return JsonResponse({"status": report["status"]}, status=code)
    return JsonResponse(report, status=code)


@require_GET
def live(request):
    """The process answers requests: nothing else is asked (a database outage must not restart web servers)."""
    return JsonResponse({"status": "ok"})


@require_GET
def ready(request):
    """Send traffic here? The primary answers, every migration is applied, the process is not stopping.
    Anonymous callers get the verdict only; operators also get each check."""
    checks = readiness()
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ready" if ok else "not ready"}
    if _is_ops(request):
        body["checks"] = checks
    return JsonResponse(body, status=200 if ok else 503)


@require_GET
def metrics_view(request):
    """Prometheus's scrape: METRICS_TOKEN as a bearer token, or a request from METRICS_ALLOWED_NETWORKS."""
    if not metrics.may_read(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_AUTHORIZATION")):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics.exposition(SystemCollector()), content_type=metrics.CONTENT_TYPE)


@require_GET
@login_required
def system_page(request):
    """The admin's System page (ops/system.py): the last hour's charts and the detailed status."""
    if not request.user.has_perm(system.PERMISSION):
        raise PermissionDenied
    try:
        charts, unavailable = system.charts(), None
    except system.PrometheusUnavailable as exc:
        charts, unavailable = [], str(exc)
    report = system_status()
    context = {
        **admin.site.each_context(request),
        "title": "System",
        "charts": charts,
        "unavailable": unavailable,
        "status": report,
        "status_json": json.dumps(report, indent=2, default=str),
        "prometheus_url": settings.PROMETHEUS_URL,
    }
    return render(request, "ops/system.html", context)
