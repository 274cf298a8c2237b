"""Sessions kept in the database (the record) and in Redis (what a request reads), and still working
with Redis down.

Django's cached_db store reads Redis first and the database on a miss. This one also survives Redis
being unreachable: reads fall back to the database and cache writes are skipped, never a 500. A copy in
Redis lives at most SESSION_CACHE_SECONDS, so a session deleted (signed out) while Redis could not be
told outlives its deletion by no more than that once Redis is back.
"""

import contextlib
import logging

from django.conf import settings
from django.contrib.sessions.backends import cached_db

log = logging.getLogger("hmis.sessions")


class SessionStore(cached_db.SessionStore):
    def _cache_seconds(self, expiry=None) -> int:
        return min(self.get_expiry_age(expiry=expiry), settings.SESSION_CACHE_SECONDS)

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
            cache_up = True
        except Exception:  # noqa: BLE001 (Redis unreachable: the database answers)
            data, cache_up = None, False
        if data is not None:
            return data
        found = self._get_session_from_db()
        if not found:
            return {}
        data = self.decode(found.session_data)
        if cache_up:
            with contextlib.suppress(Exception):
                self._cache.set(self.cache_key, data, self._cache_seconds(found.expire_date))
        return data

    def exists(self, session_key):
        with contextlib.suppress(Exception):
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        return super(cached_db.SessionStore, self).exists(session_key)

    def save(self, must_create=False):
        super(cached_db.SessionStore, self).save(must_create)
        try:
            self._cache.set(self.cache_key, self._session, self._cache_seconds())
        except Exception:  # noqa: BLE001
            log.warning("session not cached: Redis unavailable")

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:  # noqa: BLE001
            log.warning("signed-out session left in Redis (unavailable) for up to SESSION_CACHE_SECONDS")
