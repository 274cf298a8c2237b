"""Where each non-browser client's last write ended (WAL LSN), kept in Redis under the client's identity.

Browsers carry this in a signed cookie; integrators' HTTP clients often drop cookies, so for them the
position is remembered server-side, keyed by the authenticated API client.
"""

import contextlib

from django.conf import settings
from django.core.cache import cache

from core import keys
from core.routing import lsn as lsn_mod
from core.routing.state import PRIMARY_ONLY


def _key(identity: str) -> str:
    return f"{keys.READ_YOUR_WRITES}:{identity}"


def recall(identity: str) -> int | None:
    try:
        return lsn_mod.parse(cache.get(_key(identity)))
    except Exception:  # noqa: BLE001 (Redis down: the primary is the only safe answer)
        return PRIMARY_ONLY


def remember(identity: str, position: int) -> None:
    # Redis down: the position is lost and the client's next reads may find a standby behind; the
    # cookie (for browsers) still holds it. Never fail the write's response over this.
    with contextlib.suppress(Exception):
        cache.set(_key(identity), lsn_mod.format_lsn(position), timeout=settings.READ_YOUR_WRITES_COOKIE_AGE)
