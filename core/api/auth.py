"""`Authorization: Api-Key <key>` for integrators; the client acts as its service-account user."""

import time

from django.conf import settings
from django.db import DatabaseError
from rest_framework import authentication, exceptions

from core.api.throttling import count_invalid_key, refuse_if_guessing
from core.models import KEY_PREFIX_LENGTH, ApiClient
from core.routing import positions, state

KEYWORD = "Api-Key"
_clients: dict[str, tuple[float, ApiClient]] = {}


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        scheme, _, key = header.partition(" ")
        if scheme != KEYWORD:
            return None
        key = key.strip()
        refuse_if_guessing(request)
        if len(key) <= KEY_PREFIX_LENGTH:
            count_invalid_key(request)
            raise exceptions.AuthenticationFailed("Malformed API key.")
        client = self._find(key[:KEY_PREFIX_LENGTH])
        if client is None or not client.matches(key) or not client.active or not client.user.is_active:
            count_invalid_key(request)
            raise exceptions.AuthenticationFailed("Invalid or inactive API key.")
        # Read-your-writes for integrators does not depend on cookies: the position of this client's last
        # write is kept in Redis under its identity (see core.routing.middleware).
        current = state.current()
        identity = current.identity = f"api-client:{client.pk}"
        current.require_lsn_when_needed(lambda: positions.recall(identity))
        return client.user, client

    @staticmethod
    def _find(prefix: str) -> ApiClient | None:
        """The client with this key prefix, remembered by this process for USER_CACHE_SECONDS (with its
        user and, once asked, the user's permissions): three queries less per request. A key revoked or a
        role changed takes effect within that time."""
        cached = _clients.get(prefix)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        found = ApiKeyAuthentication._lookup(prefix)
        if found is not None:
            _clients[prefix] = (time.monotonic() + settings.USER_CACHE_SECONDS, found)
        return found

    @staticmethod
    def _lookup(prefix: str) -> ApiClient | None:
        clients = ApiClient.objects.select_related("user").filter(key_prefix=prefix)
        try:
            found = clients.first()
        except DatabaseError:
            found = None
        # A client created moments ago may not have reached the standby yet: ask the primary before saying no.
        return found or clients.using("default").first()

    def authenticate_header(self, request):
        return KEYWORD
