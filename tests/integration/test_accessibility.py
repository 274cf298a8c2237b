"""Accessibility of the main pages (issue 25): axe-core, vendored from npm (tests/support/vendor/axe-core/),
injected by Playwright into each role's landing page, the chart, search, a report, the invoice list, the
pharmacy queue, the boards and the error pages; any serious or critical violation fails. Each page is also
photographed at 1366x768 and 768x1024 (artifacts/screenshots/, git-ignored) for people to look at.

The browser context bypasses the Content Security Policy only to let the injected script run: the pages
themselves are served as always."""

import json
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from playwright.sync_api import expect

from reports.engine import refresh
from reports.projections import REGISTRY
from tests.support import data
from tests.support.factories.clinical import UserFactory
from tests.support.stack import on_stack, wait_replayed

pytestmark = on_stack

AXE = Path(__file__).resolve().parents[1] / "support" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "a11y"
VIEWPORTS = {"desktop": (1366, 768), "tablet": (768, 1024)}
FAILING_IMPACTS = ("serious", "critical")
PASSWORD = "x-test-pass-1"
# Printed documents and their paper (the PDF's MediaBox in points): A5, and a 100 x 60 mm label.
PRINTED = {"prescription-print": b"/MediaBox [0 0 420 594.9", "dispense-label": b"/MediaBox [0 0 282.9"}
ROLES = ("front_desk", "nurse", "clinician", "pharmacist", "billing_clerk", "report_viewer", "admin")

# Violations in pages whose bodies other work owns, recorded and reported rather than fixed here:
# {(page name, axe rule id)}. Empty: every page passes.
KNOWN: set[tuple[str, str]] = set()


def _violations(page, every: list | None = None) -> list[dict]:
    """The serious and critical violations on the page; all of them (any impact) appended to `every`."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ("
        "{id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"
    )
    if every is not None:
        every.extend(found)
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


def _shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


@pytest.fixture
def hospital():
    made = data.one_of_each(family_name="Okafor", given_name="Amara", mrn="A11Y000001")
    for name in REGISTRY:
        refresh.refresh(name, force=True)
    for role in ROLES:
        UserFactory(username=f"a11y-{role}", first_name="Test", last_name=role.title(), roles=[role])
    made["encounter"].attending.groups.add(*UserFactory(username="a11y-x", roles=["clinician"]).groups.all())
    wait_replayed()
    return made


@pytest.fixture
def signed_in(chromium, live_server):
    contexts = []

    def sign_in(role: str):
        context = chromium.new_context(
            viewport={"width": 1366, "height": 768}, base_url=live_server.url, bypass_csp=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(f"a11y-{role}")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        return page

    yield sign_in
    for context in contexts:
        context.close()


def _check(page, name: str, problems: dict) -> None:
    page.wait_for_load_state("networkidle")
    _shoot(page, name)
    every: list = []
    bad = [v for v in _violations(page, every) if (name, v["id"]) not in KNOWN]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # moderate and minor ones too, for people to read
    (SCREENSHOTS / f"{name}-violations.json").write_text(json.dumps(every, indent=1))
    if bad:
        problems[name] = bad


def test_main_pages_have_no_serious_accessibility_violations(hospital, signed_in):
    problems: dict[str, list] = {}
    probe = signed_in("admin")
    probe.set_content('<html><body><main><img src="/static/favicon.svg"></main></body></html>')
    assert "image-alt" in {v["id"] for v in _violations(probe)}  # the checker runs and reports what it finds
    for role in ROLES:
        page = signed_in(role)
        _check(page, f"landing-{role}", problems)
        page.context.close()

    clinician = signed_in("clinician")
    pages = {
        "search": reverse("chart:search") + "?q=Okafor",
        "chart": reverse("chart:chart", args=[hospital["patient"].pk]),
        "queue-board": reverse("scheduling:board", args=[hospital["department"].pk]),
        "bed-board": reverse("board:board"),
        "report-diagnosis-trends": reverse("reports:report", args=["diagnosis-trends"]),
        "not-found": "/no/such/page/",
        "not-allowed": reverse("billing:invoices"),
    }
    for name, url in pages.items():
        clinician.goto(url)
        _check(clinician, name, problems)

    billing = signed_in("billing_clerk")
    for name, url in {"invoices": reverse("billing:invoices"), "report-ar-aging": "/reports/ar-aging/"}.items():
        billing.goto(url)
        _check(billing, name, problems)

    pharmacist = signed_in("pharmacist")
    for name, url in {
        "pharmacy-queue": reverse("pharmacy:queue"),
        "pharmacy-stock": reverse("pharmacy:stock"),
        "prescription-print": reverse("pharmacy:print_prescription", args=[hospital["prescription"].pk]),
        "dispense-label": reverse("pharmacy:dispense_label", args=[hospital["dispense"].pk]),
    }.items():
        pharmacist.goto(url)
        _check(pharmacist, name, problems)
        if name in PRINTED:  # on paper: one page of the document's own size, the buttons left off
            pdf = pharmacist.pdf(prefer_css_page_size=True)
            (SCREENSHOTS / f"{name}.pdf").write_bytes(pdf)
            assert pdf.count(b"/MediaBox") == 1, name  # one page
            assert PRINTED[name] in pdf, name

    pharmacist.set_content(render_to_string("500.html"))  # rendered as the server would: no context at all
    _check(pharmacist, "server-error", problems)

    assert not problems, "\n".join(
        f"{page}: {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
        for page, found in problems.items()
        for v in found
    )


def test_each_role_lands_on_its_worklist(hospital, signed_in):
    headings = {
        "front_desk": "Front desk",
        "nurse": "Medical ward 1",
        "clinician": "My queue",
        "pharmacist": "Pharmacy",
        "billing_clerk": "Billing",
        "report_viewer": "Dashboard",
        "admin": "Dashboard",
    }
    for role, heading in headings.items():
        page = signed_in(role)
        expect(page.get_by_role("heading", level=1).first).to_contain_text(heading)
        nav = page.get_by_role("navigation", name="Main")
        assert nav.get_by_role("link", name="Admin").count() == 0  # the test users are not staff
        page.context.close()
