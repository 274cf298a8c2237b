from django.http import JsonResponse
from django.views.decorators.http import require_GET

from ops.status import system_status


@require_GET
def healthz(request):
    """Up or down for load balancers and anyone; the servers, versions and WAL positions behind it only for
    signed-in staff (operators): an anonymous caller learns nothing about the database."""
    report = system_status()
    code = 503 if report["status"] == "down" else 200
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_staff):
        return JsonResponse({"status": report["status"]}, status=code)
    return JsonResponse(report, status=code)
