"""One error format for the whole API: {"errors": {field: [messages]}} with 400/403/404/409/503."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from core.middleware import BAD_VALUE_MESSAGE, DB_DOWN_MESSAGE


def _as_lists(detail) -> dict:
    """{field: [messages]}; nested items (invoice lines) as {field: {position: {field: [messages]}}}."""
    if isinstance(detail, dict):
        return {str(k): _normalize(v) for k, v in detail.items()}
    return {"non_field_errors": _normalize(detail)}


def _normalize(value):
    if isinstance(value, dict):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return [str(v) for v in value]
        # A list serializer's errors: one entry per item, empty for the good ones; keep only the bad ones.
        return {str(i): _normalize(v) for i, v in enumerate(value) if v}
    return [str(value)]


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"errors": exc.errors, **exc.extra}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        return Response({"errors": DomainError.from_django(exc).errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OperationalError | InterfaceError):
        message = getattr(exc, "public_message", DB_DOWN_MESSAGE)  # failover: refused, or outcome unknown
        return Response({"errors": {"detail": [message]}}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, DataError):  # e.g. a value out of a column's range: nothing was written (rolled back)
        return Response({"errors": {"non_field_errors": [BAD_VALUE_MESSAGE]}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _as_lists(exc.detail)}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"errors": {"body": [str(exc.detail)]}}
    else:
        response.data = {"errors": {"detail": [str(exc.detail)]}}
    return response


def _api_or(default, request, status_code: int, message: str, **kwargs):
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": {"detail": [message]}}, status=status_code)
    return default(request, **kwargs)


def not_found(request, exception=None):
    """handler404: a URL the API does not have (e.g. /api/v1/patients/0.5/) answers in the API's format."""
    return _api_or(defaults.page_not_found, request, 404, "Not found.", exception=exception)


def server_error(request):
    """handler500: the API's format for API paths, the usual page elsewhere."""
    return _api_or(defaults.server_error, request, 500, "Internal error; nothing more is known. It has been logged.")
