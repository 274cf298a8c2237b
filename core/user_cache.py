"""The signed-in user and their permissions, remembered by each web process for a few seconds.

Without it every page asks the database three times before it starts (the user, their own permissions,
their groups' permissions). A process keeps the user with their permissions for USER_CACHE_SECONDS,
keyed by the session's user id and checked against the session's auth hash: a password changed in any
process changes the session's hash, so the next request loads the user again. Changes to users, groups
and permissions empty this process's cache at once; other processes see them within USER_CACHE_SECONDS
(as with API clients, core/api/auth.py): a deactivated user or a removed role takes effect within that time.
"""

import copy
import time

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware
from django.contrib.auth.models import Group, Permission, User
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

# session user id -> (expires, backend path, session auth hash, user with its permissions loaded)
_users: dict[str, tuple[float, str, str, User]] = {}


def forget(**_) -> None:
    _users.clear()


for _signal, _sender in (
    (post_save, User),
    (post_delete, User),
    (post_save, Group),
    (post_delete, Group),
    (post_delete, Permission),
    (m2m_changed, User.groups.through),
    (m2m_changed, User.user_permissions.through),
    (m2m_changed, Group.permissions.through),
):
    _signal.connect(forget, sender=_sender)  # once per (receiver, sender): importing again adds nothing


def signed_in_user(request):
    """request.user: this process's copy when it is fresh and matches the session, else Django's lookup."""
    session = request.session
    user_id, backend, session_hash = (
        session.get(auth.SESSION_KEY),
        session.get(auth.BACKEND_SESSION_KEY),
        session.get(auth.HASH_SESSION_KEY),
    )
    cached = _users.get(str(user_id)) if user_id is not None else None
    fresh = cached and cached[0] > time.monotonic() and cached[1] == backend
    if fresh and session_hash and constant_time_compare(session_hash, cached[2]):
        # A copy: a view that changes request.user leaves the remembered one alone.
        return copy.copy(cached[3])
    user = auth.get_user(request)  # verifies the session hash (and its fallbacks), flushes a bad session
    if user.is_authenticated and backend in settings.AUTHENTICATION_BACKENDS:
        user.get_all_permissions()  # loaded once here, carried by every copy
        expires = time.monotonic() + settings.USER_CACHE_SECONDS
        _users[str(user_id)] = (expires, backend, user.get_session_auth_hash(), user)
    return user


def _get_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = signed_in_user(request)
    return request._cached_user


class AuthenticationMiddleware(middleware.AuthenticationMiddleware):
    """Django's, with request.user from signed_in_user."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))
