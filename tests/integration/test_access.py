"""The access matrix (tests/integration/access_matrix.py) against the running app: every endpoint x every role.

Allowed means the request got past the permission check (200, or 400/404 for the deliberately empty or
missing-object writes: nothing is changed). Refused means 403 with no patient data in the body.
"""

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.integration import access_matrix as matrix
from tests.support import data
from tests.support.factories.clinical import UserFactory

pytestmark = pytest.mark.django_db(databases="__all__")

PHI = {"family_name": "Quixley", "given_name": "Zenobia", "mrn": "PHI0000001"}


@pytest.fixture
def made():
    return data.one_of_each(**PHI)


def _url(endpoint: matrix.Endpoint, made: dict) -> str:
    kwargs = {}
    for name, source in endpoint.kwargs.items():
        if source == matrix.MISSING:
            kwargs[name] = 999999
        elif name == "slug":
            kwargs[name] = source
        elif source.startswith("="):  # a literal (a FHIR resource type)
            kwargs[name] = source[1:]
        else:
            kwargs[name] = made[source].pk
    url = reverse(endpoint.name, kwargs=kwargs or None)
    return f"{url}?{endpoint.query}" if endpoint.query else url


def _call(client, endpoint: matrix.Endpoint, url: str):
    if endpoint.method == "GET":
        return client.get(url)
    send = getattr(client, endpoint.method.lower())
    if endpoint.kind == "api":
        return send(url, {}, format="json")
    return send(url, {})


def _body(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _outcome(endpoint, response) -> str:
    body = _body(response)
    if response.status_code == 403:
        leaked = [value for value in PHI.values() if value in body]
        assert not leaked, f"{endpoint.label}: 403 body shows {leaked}"
        return "403"
    if response.status_code in (401, 302):
        return str(response.status_code)
    assert response.status_code < 500, f"{endpoint.label}: {response.status_code} {body[:500]}"
    return "allowed"


def _client_for(role: str, kind: str, api_as, client):
    if kind == "api":
        return api_as(role)
    client.force_login(UserFactory(username=f"matrix-{role}", is_staff=True, roles=[role]))
    return client


@pytest.mark.parametrize("role", matrix.ROLES)
def test_every_endpoint_answers_each_role_as_the_matrix_says(role, made, api_as, client):
    api, browser = _client_for(role, "api", api_as, client), _client_for(role, "page", api_as, client)
    wrong = []
    for endpoint in matrix.ENDPOINTS:
        response = _call(api if endpoint.kind == "api" else browser, endpoint, _url(endpoint, made))
        got = _outcome(endpoint, response)
        expected = "allowed" if endpoint.allowed == matrix.EVERYONE or role in endpoint.allowed else "403"
        if got != expected:
            wrong.append(f"{endpoint.label}: expected {expected}, got {got} ({response.status_code})")
    assert not wrong, "\n".join(wrong)


def test_anonymous_callers_get_401_from_the_api_and_the_sign_in_page_from_pages(made):
    from django.test import Client
    from rest_framework.test import APIClient

    wrong = []
    for endpoint in matrix.ENDPOINTS:
        client = APIClient() if endpoint.kind == "api" else Client()
        response = _call(client, endpoint, _url(endpoint, made))
        got = _outcome(endpoint, response)
        if endpoint.allowed == matrix.EVERYONE:
            expected = "allowed"
        elif endpoint.kind == "api":
            expected = "401"
        else:
            expected = "302"
            assert response["Location"].startswith("/accounts/login/"), endpoint.label
        if got != expected:
            wrong.append(f"{endpoint.label}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_staff_sessions_get_the_same_api_answers_as_api_keys(made, api_as, client):
    """Roles are the same whether they come from a session or a key (one role each way, all API rows)."""
    for role in ("nurse", "front_desk"):
        session = _client_for(role, "page", api_as, client)
        key = api_as(role)
        for endpoint in (e for e in matrix.ENDPOINTS if e.kind == "api" and e.method == "GET"):
            url = _url(endpoint, made)
            assert _outcome(endpoint, session.get(url)) == _outcome(endpoint, key.get(url)), (role, endpoint.label)


def _routes():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                actions = getattr(pattern.callback, "actions", None)
                yield name, sorted(m.upper() for m in actions if m not in ("head", "options")) if actions else None

    return walk(get_resolver().url_patterns)


def test_the_matrix_covers_every_route_and_method():
    listed = {(e.name, e.method) for e in matrix.ENDPOINTS}
    names = {name for name, _ in listed}
    missing = []
    for name, methods in _routes():
        if name.startswith("admin:") or name in matrix.NOT_ROLE_GATED:
            continue
        if methods is None:
            if name not in names:
                missing.append(name)
        else:
            missing += [f"{method} {name}" for method in methods if (name, method) not in listed]
    assert not missing, f"add these to tests/integration/access_matrix.py: {sorted(set(missing))}"


def test_docs_access_matrix_is_up_to_date():
    doc = Path(__file__).resolve().parents[2] / "docs" / "access-matrix.md"
    fix = "run: .venv/bin/python tests/integration/access_matrix.py > docs/access-matrix.md"
    assert doc.read_text() == matrix.render(), fix


@pytest.mark.parametrize("role", matrix.ROLES)
def test_the_admin_grants_each_role_exactly_its_permissions(role, made, client):
    user = UserFactory(username=f"admin-{role}", is_staff=True, roles=[role])
    client.force_login(user)
    granted = set(Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename"))
    wrong = []
    for model, model_admin in admin.site._registry.items():
        info, opts = f"{model._meta.app_label}_{model._meta.model_name}", model._meta
        for page, action in (("changelist", "view"), ("add", "add")):
            may = (opts.app_label, f"{action}_{opts.model_name}") in granted or (
                action == "view" and (opts.app_label, f"change_{opts.model_name}") in granted
            )
            response = client.get(reverse(f"admin:{info}_{page}"))
            if page == "add" and may:
                may = model_admin.has_add_permission(response.wsgi_request)
            got = _outcome(type("E", (), {"label": f"admin {info} {page}"})(), response)
            if got != ("allowed" if may else "403"):
                wrong.append(f"{info} {page}: {'may' if may else 'may not'} but got {response.status_code}")
    assert not wrong, "\n".join(wrong)


def _command_actions() -> set[tuple[str, str]]:
    """(app_label.model, action name) of every admin action that runs a command (core.admin.command_action)."""
    found = set()
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.actions or ():
            func = getattr(model_admin, name, None) if isinstance(name, str) else name
            if getattr(func, "required_perms", None) is not None:
                found.add((model._meta.label_lower, func.__name__))
    return found


def test_the_matrix_lists_every_admin_action():
    assert _command_actions() == {(a.model, a.name) for a in matrix.ADMIN_ACTIONS}


@pytest.mark.parametrize("role", matrix.ROLES)
def test_every_admin_action_answers_each_role_as_the_matrix_says(role):
    """Posted as the admin's changelist posts it, on an id that does not exist. A refused role gets 403 (it
    may not see the list), or the list again (the action is neither offered nor found when posted:
    core.admin.CommandAdmin.get_actions); an allowed one gets the action's own answer (its form or message)."""
    user = UserFactory(username=f"actions-{role}", is_staff=True, roles=[role])
    wrong = []
    for action in matrix.ADMIN_ACTIONS:
        client = Client()  # each action's messages on their own
        client.force_login(user)
        app_label, model = action.model.split(".")
        form = {"action": action.name, "_selected_action": ["999999999"], "index": "0"}
        response = client.post(reverse(f"admin:{app_label}_{model}_changelist"), form)
        said = [str(m) for m in get_messages(response.wsgi_request)]
        refused = (
            response.status_code == 403
            or "No action selected." in said  # offered to nobody of this role, so not found when posted
            or (response.status_code == 200 and f'value="{action.name}"' not in response.content.decode())
        )
        allowed = not refused
        if allowed != (role in action.allowed):
            wrong.append(
                f"{action.model} {action.name}: expected {role in action.allowed}, got {response.status_code} {said}"
            )
    assert not wrong, "\n".join(wrong)
