"""Request-level guards: hostile input refused early, idle sessions ended, database failures made honest."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

NUL_MESSAGE = "Null characters are not allowed."
DB_DOWN_MESSAGE = "The database is unavailable; nothing was saved. Try again shortly."
BAD_VALUE_MESSAGE = "A value could not be stored as given (wrong type, out of range or malformed)."


def _answer(request, status: int, errors: dict) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": errors}, status=status)
    lines = "".join(f"<li>{field}: {' '.join(texts)}</li>" for field, texts in errors.items())
    return HttpResponse(f"<!doctype html><title>HMIS</title><h1>Request refused</h1><ul>{lines}</ul>", status=status)


class HostileInputMiddleware:
    """Refuse up front, with a 400 naming the field: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, and NUL
    characters in the path, query string or a form field (PostgreSQL cannot store them, so they would end as
    a database error deep inside a query). JSON bodies: DRF's fields refuse NULs themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:  # DRF's parsers would read it all: refuse first
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return _answer(request, 400, {"body": [f"The request body is larger than {limit} bytes."]})
        bad = ["path"] if "\x00" in request.path else []
        sources = [request.GET]
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",):
            sources.append(request.POST)
        for params in sources:
            bad += [key for key, values in params.lists() if "\x00" in key or any("\x00" in v for v in values)]
        if bad:
            return _answer(request, 400, {(key.replace("\x00", "") or "query"): [NUL_MESSAGE] for key in bad})
        return self.get_response(request)


def stamp_session(sender, request, user, **kwargs):
    """On sign-in (user_logged_in): the session starts as seen now, so its first request writes nothing."""
    if request is not None and hasattr(request, "session"):
        request.session[IdleSessionMiddleware.KEY] = int(time.time())


class IdleSessionMiddleware:
    """Sign out a session idle for more than SESSION_IDLE_SECONDS. The last-seen stamp is rewritten at most
    every few minutes, not on every request: each session save is a write on the primary."""

    KEY = "hmis_last_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated and getattr(request, "auth", None) is None:
            now, idle = int(time.time()), settings.SESSION_IDLE_SECONDS
            last = session.get(self.KEY)
            if last is not None and now - last > idle:
                logout(request)
            elif last is None or now - last > min(300, idle // 4):
                session[self.KEY] = now
        return self.get_response(request)


class DatabaseErrorMiddleware:
    """Pages: the primary down → 503 with a clear message (not a 500); a value PostgreSQL refused → 400.
    (The API's exception handler does the same for API views.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            # A failover's own errors say more (core/routing/failover.py: refused, or outcome unknown).
            return _answer(request, 503, {"detail": [getattr(exception, "public_message", DB_DOWN_MESSAGE)]})
        if isinstance(exception, DataError):
            return _answer(request, 400, {"non_field_errors": [BAD_VALUE_MESSAGE]})
        return None


class PrivateResponsesMiddleware:
    """What a signed-in user or an API client is shown is never kept by a browser or a proxy: a ward PC's
    disk cache must not hold a chart (MRN, address) after its user signed out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"  # HTTP/1.0 caches
        return response
