"""The signed-in user, their permissions and their session are read once, not on every page
(core/user_cache.py, core/sessions.py), and changes still take effect."""

import pytest
import redis
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.sessions import SessionStore
from tests.support.factories.clinical import UserFactory
from tests.support.stack import sign_in

pytestmark = pytest.mark.django_db(databases="__all__")

AUTH_TABLES = ("auth_user", "auth_permission", "auth_group", "django_session")


def _auth_queries(client: Client, path: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connections["default"]) as queries:
        response = client.get(path, secure=True)
    return response.status_code, [q["sql"] for q in queries if any(t in q["sql"] for t in AUTH_TABLES)]


def _session_key_in_redis(client: Client) -> str:
    return f":1:{SessionStore.cache_key_prefix}{client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_second_page_asks_the_database_nothing_about_the_user_or_session():
    client = Client()
    sign_in(client, UserFactory(roles=["billing_clerk"]))
    status, first = _auth_queries(client, "/billing/invoices/")
    assert status == 200 and any("auth_permission" in q for q in first)
    status, second = _auth_queries(client, "/billing/invoices/")
    assert status == 200 and second == []


def test_a_role_taken_away_takes_effect_on_the_next_page():
    user = UserFactory(roles=["billing_clerk"])
    client = Client()
    sign_in(client, user)
    assert client.get("/billing/invoices/", secure=True).status_code == 200
    user.groups.set([])
    assert client.get("/billing/invoices/", secure=True).status_code == 403
    user.groups.set(Group.objects.filter(name="billing_clerk"))
    assert client.get("/billing/invoices/", secure=True).status_code == 200


def test_a_password_changed_elsewhere_keeps_the_session_that_changed_it():
    """Another process changes the password (no signal here) and updates its own session's hash, as
    update_session_auth_hash does: this process must load the user again, not sign the session out."""
    user = UserFactory(roles=["billing_clerk"])
    client = Client()
    sign_in(client, user)
    assert client.get("/billing/invoices/", secure=True).status_code == 200
    User.objects.filter(pk=user.pk).update(password=make_password("a-new-pass-2"))
    user.refresh_from_db()
    session = client.session
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    assert client.get("/billing/invoices/", secure=True).status_code == 200


def test_a_session_is_read_from_redis_and_from_the_database_when_redis_lost_it():
    client = Client()
    sign_in(client, UserFactory(roles=["billing_clerk"]))
    cache = redis.Redis.from_url(settings.REDIS_URL)
    key = _session_key_in_redis(client)
    assert 0 < cache.ttl(key) <= settings.SESSION_CACHE_SECONDS
    cache.delete(key)  # evicted, or Redis restarted empty
    assert client.get("/billing/invoices/", secure=True).status_code == 200
    assert cache.exists(key)  # cached again


def test_signing_out_removes_the_session_from_redis_and_the_database():
    client = Client()
    sign_in(client, UserFactory(roles=["billing_clerk"]))
    key = _session_key_in_redis(client)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/", secure=True)
    assert not redis.Redis.from_url(settings.REDIS_URL).exists(key)
    assert not SessionStore().exists(session_key)
    assert client.get("/billing/invoices/", secure=True).status_code == 302  # to the sign-in page
