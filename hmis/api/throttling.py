"""API throttling per client: each API key (or signed-in user) gets API_THROTTLE_RATE requests per period.
Past it DRF answers 429 with Retry-After. Counts live in Redis; with Redis down requests are let through
(the API keeps answering; throttling is a guard against runaway integrations, not an access control)."""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

log = logging.getLogger("hmis.api")


class PerClientThrottle(SimpleRateThrottle):
    scope = "client"

    def get_rate(self):
        return settings.API_THROTTLE_RATE  # read per request, so it can be changed without a restart (tests)

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": f"ip:{self.get_ident(request)}"}
        client = request.auth
        ident = f"api-client:{client.pk}" if client is not None and hasattr(client, "key_prefix") else None
        return self.cache_format % {"scope": self.scope, "ident": ident or f"user:{request.user.pk}"}

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 (Redis down: let the request through)
            log.warning("throttle not checked: cache unavailable")
            return True
