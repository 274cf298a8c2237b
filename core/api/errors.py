"""One error format for the whole API: {"errors": {key: [messages]}} with 400/401/403/404/409/422/429/503.

The same situation looks the same on every endpoint (tests/integration/test_api_errors.py):
- a request body names an object that does not exist: 400, {"errors": {<that field>: ["<Thing> <id> does
  not exist."]}} (core.commands.lock_or_invalid / get_or_invalid);
- the URL names an object that does not exist: 404, {"errors": {"detail": ["<Thing> <id> does not exist."]}}
  (core.commands.get_locked, and DRF's get_object through this handler);
- the action clashes with the current state: 409, {"errors": {<key>: [message]}}, the key being the body
  field that named the object in the way (a closed `encounter` named in a vitals POST), else "detail" (the
  URL's own object: closing a closed encounter).
Keys other than "errors" carry structured detail beside the messages (e.g. `checks` of a blocked order).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.text import capfirst
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
        exc = exceptions.NotFound(_missing(context.get("view")))
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


def _missing(view) -> str:
    """ "Invoice 12 does not exist." for the object a URL names, as the commands' own 404s say it."""
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
    kwargs = getattr(view, "kwargs", {})
    value = kwargs.get(lookup)
    # "/patients/0.5/" reaches the view as pk 0 with a format suffix "5": not an id anyone wrote.
    if value is None or kwargs.get("format"):
        return "Not found."
    try:
        model = view.get_queryset().model
    except Exception:  # noqa: BLE001 (a view without a queryset: the plain message)
        return "Not found."
    return f"{capfirst(model._meta.verbose_name)} {value} does not exist."


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
