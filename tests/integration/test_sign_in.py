"""Signing in and out in a real browser; navigation shows what each role may use."""

from playwright.sync_api import expect

from tests.support.factories.clinical import UserFactory
from tests.support.stack import on_stack, shot

pytestmark = on_stack


def test_sign_in_role_aware_navigation_and_sign_out(browse, chromium, live_server):
    UserFactory(username="chemist", roles=["pharmacist"])
    UserFactory(username="clerk", roles=["billing_clerk"])

    pharmacist = browse("chemist")
    nav = pharmacist.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Pharmacy", exact=True)).to_be_visible()
    assert nav.get_by_role("link", name="Billing", exact=True).count() == 0
    expect(nav.get_by_role("link", name="Pharmacy stock")).to_be_visible()
    assert nav.get_by_role("link", name="AR aging").count() == 0
    shot(pharmacist, "dashboard-pharmacist")
    pharmacist.get_by_role("button", name="Sign out").click()
    expect(pharmacist.get_by_role("heading", name="Sign in")).to_be_visible()

    clerk = browse("clerk")
    nav = clerk.get_by_role("navigation", name="Main")
    assert (
        nav.get_by_role("link", name="Billing", exact=True).is_visible()
        and nav.get_by_role("link", name="Pharmacy", exact=True).count() == 0
    )

    page = chromium.new_page(base_url=live_server.url)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    shot(page, "sign-in-error")
    page.close()
