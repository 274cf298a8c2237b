"""API throttling per client: each API key (or signed-in user) gets API_THROTTLE_RATE requests per period.
Past it DRF answers 429 with Retry-After. Counts live in Redis; with Redis down requests are let through
(the API keeps answering; throttling is a guard against runaway integrations, not an access control).

A fixed window counted with one INCR per request. (DRF's SimpleRateThrottle keeps every request's time
in a list that is read, unpickled, extended and written back on each request: at thousands of requests
a minute that list costs more than the request it guards.)
"""

import logging
import time

from django.conf import settings
from django_redis import get_redis_connection
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

log = logging.getLogger("hmis.api")

KEY_PREFIX = "hmis:throttle"


class PerClientThrottle(BaseThrottle):
    def __init__(self):
        self._wait = None

    @staticmethod
    def _ident(request) -> str:
        if not request.user or not request.user.is_authenticated:
            return f"ip:{BaseThrottle().get_ident(request)}"
        client = request.auth
        if client is not None and hasattr(client, "key_prefix"):
            return f"api-client:{client.pk}"
        return f"user:{request.user.pk}"

    def allow_request(self, request, view):
        # Read per request, so that it can be changed without a restart (tests).
        limit, period = SimpleRateThrottle.parse_rate(None, settings.API_THROTTLE_RATE)
        window = int(time.time() // period)
        key = f"{KEY_PREFIX}:{self._ident(request)}:{window}"
        try:
            redis = get_redis_connection("default")
            pipe = redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, period + 1)
            count, _ = pipe.execute()
        except Exception:  # noqa: BLE001 (Redis down: let the request through)
            log.warning("throttle not checked: Redis unavailable")
            return True
        if count <= limit:
            return True
        self._wait = max(1.0, (window + 1) * period - time.time())
        return False

    def wait(self):
        return self._wait
