"""API throttling per client: each API key (or signed-in user) gets API_THROTTLE_RATE requests per period.
Past it DRF answers 429 with Retry-After. Counts live in Redis; with Redis down requests are let through
(the API keeps answering; throttling is a guard against runaway integrations, not an access control).

A fixed window counted in Redis. Each web process takes its counts a few at a time (one INCRBY of up to
RESERVE, a twentieth of the limit at most) and spends them locally, so most requests cost no round trip.
Reservations never add up past the limit, so nobody gets more than it; near the limit a client may be
refused up to (processes - 1) x (RESERVE - 1) requests early, while other processes hold counts it did
not use. (DRF's SimpleRateThrottle keeps every request's time in a list that is read, unpickled,
extended and written back on each request: at thousands of requests a minute that list costs more than
the request it guards.)
"""

import logging
import time

from django.conf import settings
from django_redis import get_redis_connection
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from core import keys, metrics

log = logging.getLogger("hmis.api")

KEY_PREFIX = keys.THROTTLE
RESERVE = 10
# client -> (window, counts this process reserved in it and has not spent)
_held: dict[str, tuple[int, int]] = {}


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
        ident = self._ident(request)
        held_window, held = _held.get(ident, (None, 0))
        if held_window == window and held > 0:
            _held[ident] = (window, held - 1)
            return True
        reserve = max(1, min(RESERVE, limit // 20))
        key = f"{KEY_PREFIX}:{ident}:{window}"
        try:
            redis = get_redis_connection("default")
            pipe = redis.pipeline()
            pipe.incrby(key, reserve)
            pipe.expire(key, period + 1)
            total, _ = pipe.execute()
        except Exception:  # noqa: BLE001 (Redis down: let the request through)
            log.warning("throttle not checked: Redis unavailable")
            return True
        granted = min(reserve, limit - (total - reserve))  # the part of this reservation within the limit
        if granted > 0:
            _held[ident] = (window, granted - 1)
            return True
        _held.pop(ident, None)
        metrics.THROTTLED.labels("rate").inc()
        self._wait = max(1.0, (window + 1) * period - time.time())
        return False

    def wait(self):
        return self._wait


# Invalid API keys: counted per address before any client is known (authentication runs before DRF's
# throttles, so a guessed key would otherwise never be counted, and each guess costs a database lookup).
FAILED_KEYS_PREFIX = f"{keys.THROTTLE}:bad-key"


def _failed_key_window(request) -> tuple[str, int, int]:
    limit, period = SimpleRateThrottle.parse_rate(None, settings.API_KEY_FAILURE_RATE)
    window = int(time.time() // period)
    return f"{FAILED_KEYS_PREFIX}:{BaseThrottle().get_ident(request)}:{window}", limit, period


def refuse_if_guessing(request) -> None:
    """Raise Throttled (429, Retry-After) when this address sent API_KEY_FAILURE_RATE invalid keys."""
    key, limit, period = _failed_key_window(request)
    try:
        failures = int(get_redis_connection("default").get(key) or 0)
    except Exception:  # noqa: BLE001 (Redis down: not counted, as above)
        return
    if failures >= limit:
        log.warning("API key refused unchecked: %s invalid keys from this address", failures)
        metrics.THROTTLED.labels("bad_key").inc()
        raise Throttled(wait=max(1.0, (int(time.time() // period) + 1) * period - time.time()))


def count_invalid_key(request) -> None:
    key, _, period = _failed_key_window(request)
    try:
        pipe = get_redis_connection("default").pipeline()
        pipe.incr(key)
        pipe.expire(key, period + 1)
        pipe.execute()
    except Exception:  # noqa: BLE001
        log.warning("invalid API key not counted: Redis unavailable")
