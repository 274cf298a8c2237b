"""Login hardening, sessions, CSRF, API throttling, production settings and the Content Security Policy."""

import datetime as dt
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from tests.support.factories.clinical import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_repeated_failed_sign_ins_lock_the_account_from_that_address_even_with_the_right_password(client):
    UserFactory(username="target", roles=["clinician"])
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "target", "wrong-guess").status_code == 200  # the form again, with an error
    assert sign_in(client, "target", "wrong-guess").status_code == 429  # the last allowed failure locks
    locked = sign_in(client, "target", "x-test-pass-1")
    assert locked.status_code == 429 and b"Sign-in locked" in locked.content
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    UserFactory(username="colleague")
    assert sign_in(Client(), "colleague", "x-test-pass-1").status_code == 302


def test_a_successful_sign_in_resets_the_failure_count(client):
    UserFactory(username="forgetful")
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "forgetful", "nope")
    assert sign_in(client, "forgetful", "x-test-pass-1").status_code == 302
    client.logout()
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "forgetful", "nope")
    assert sign_in(client, "forgetful", "x-test-pass-1").status_code == 302


def test_sessions_end_at_browser_close_and_after_idling(client):
    assert django_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert django_settings.SESSION_COOKIE_AGE <= 12 * 3600
    UserFactory(username="idler", roles=["clinician"])
    with time_machine.travel("2026-03-02 08:00 +0000", tick=False) as clock:
        sign_in(client, "idler", "x-test-pass-1")
        assert client.get("/patients/").status_code == 200
        clock.shift(django_settings.SESSION_IDLE_SECONDS - 60)
        assert client.get("/patients/").status_code == 200  # active again: the clock restarts
        clock.shift(django_settings.SESSION_IDLE_SECONDS - 60)
        assert client.get("/patients/").status_code == 200
        clock.shift(django_settings.SESSION_IDLE_SECONDS + 1)
        response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_every_form_post_without_a_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(roles=["admin"], is_staff=True))
    patient = PatientFactory()
    for path in ("/patients/new/", f"/patients/{patient.pk}/allergies/", "/billing/invoices/1/issue/", "/admin/"):
        assert client.post(path, {}).status_code == 403, path
    # A signed-in browser calling the API is held to CSRF too; an API key is not a cookie and needs none.
    assert client.post("/api/v1/patients/", {}, content_type="application/json").status_code == 403


# Drawn once and shared by every reader (the bed board): the token is put in per request by the view.
SHARED_DRAWING_TOKEN = '<input type="hidden" name="csrfmiddlewaretoken" value="__CSRF__">'


def test_every_template_form_carries_a_csrf_token():
    for template in ROOT.glob("*/templates/**/*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", text, flags=re.S | re.I):
            assert "{% csrf_token %}" in form or SHARED_DRAWING_TOKEN in form, template


def test_api_keys_are_throttled_each_on_their_own_with_retry_after(api_as, settings):
    settings.API_THROTTLE_RATE = "3/min"
    busy, other = api_as("clinician"), api_as("clinician")
    answers = [busy.get("/api/v1/patients/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = busy.get("/api/v1/patients/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "errors" in refused.json()
    assert other.get("/api/v1/patients/").status_code == 200


def test_throttle_counts_are_reserved_a_few_at_a_time_and_never_past_the_limit(api_as, settings):
    """At 40/min a process reserves 2 counts per Redis round trip; the 41st request is refused all the same."""
    import redis

    settings.API_THROTTLE_RATE = "40/min"
    client = api_as("clinician")
    counters = redis.Redis.from_url(settings.REDIS_URL)
    before = set(counters.scan_iter("hmis:throttle:*"))
    with time_machine.travel(dt.datetime(2026, 11, 26, 10, 0, 20, tzinfo=dt.UTC), tick=False):  # one window
        answers = [client.get("/api/v1/patients/").status_code for _ in range(41)]
    assert answers == [200] * 40 + [429]
    (key,) = set(counters.scan_iter("hmis:throttle:*")) - before
    assert int(counters.get(key)) == 42  # 20 reservations of 2 for the 40, one refused


def _manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment |= {"DJANGO_SETTINGS_MODULE": "hmis.settings.base", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="hmis.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_with_the_development_secret_key():
    result = _manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0 and "Set DJANGO_SECRET_KEY" in result.stderr
    short = _manage("check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY="short")
    assert short.returncode != 0 and "Set DJANGO_SECRET_KEY" in short.stderr


def test_pages_send_a_content_security_policy_and_templates_have_no_inline_script(client):
    client.force_login(UserFactory(roles=["clinician"]))
    policy = client.get("/patients/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    for template in [*ROOT.glob("*/templates/**/*.html"), *ROOT.glob("templates/**/*.html")]:
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline <script> in {template}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {template}"


def test_api_docs_load_their_start_up_script_from_a_file(client):
    page = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", page)


def test_healthz_is_exempt_from_the_https_redirect():
    assert any(re.match(pattern, "healthz") for pattern in django_settings.SECURE_REDIRECT_EXEMPT)
