from django.http import JsonResponse
from django.views.decorators.http import require_GET

from ops.status import system_status


@require_GET
def healthz(request):
    report = system_status()
    return JsonResponse(report, status=503 if report["status"] == "down" else 200)
