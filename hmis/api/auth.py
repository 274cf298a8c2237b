"""`Authorization: Api-Key <key>` for integrators; the client acts as its service-account user."""

from django.db import DatabaseError
from rest_framework import authentication, exceptions

from hmis.models import KEY_PREFIX_LENGTH, ApiClient
from hmis.routing import positions, state

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        scheme, _, key = header.partition(" ")
        if scheme != KEYWORD:
            return None
        key = key.strip()
        if len(key) <= KEY_PREFIX_LENGTH:
            raise exceptions.AuthenticationFailed("Malformed API key.")
        client = self._find(key[:KEY_PREFIX_LENGTH])
        if client is None or not client.matches(key) or not client.active or not client.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or inactive API key.")
        # Read-your-writes for integrators does not depend on cookies: the position of this client's last
        # write is kept in Redis under its identity (see hmis.routing.middleware).
        current = state.current()
        current.identity = f"api-client:{client.pk}"
        current.require_lsn(positions.recall(current.identity))
        return client.user, client

    @staticmethod
    def _find(prefix: str) -> ApiClient | None:
        clients = ApiClient.objects.select_related("user").filter(key_prefix=prefix)
        try:
            found = clients.first()
        except DatabaseError:
            found = None
        # A client created moments ago may not have reached the standby yet: ask the primary before saying no.
        return found or clients.using("default").first()

    def authenticate_header(self, request):
        return KEYWORD
