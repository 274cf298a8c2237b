"""The dashboard and every report page in a real browser: they render, chart, filter, and link."""

from clinical.tests.factories import UserFactory
from hmis.testing import on_stack, shot
from reports import refresh
from reports.catalog import REPORTS
from reports.projections import REGISTRY

pytestmark = on_stack


def test_report_pages_render_with_charts_and_freshness(browse):
    UserFactory(username="finance", roles=["report_viewer"])
    for name in REGISTRY:
        refresh.refresh(name, force=True)
    page = browse("finance")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    shot(page, "dashboard")
    for slug, report in REPORTS.items():
        page.get_by_role("navigation", name="Main").get_by_role("link", name=report.title).click()
        assert page.get_by_role("heading", name=report.title).is_visible()
        assert page.get_by_role("status").filter(has_text="As of").count() == 1  # the freshness line
        assert page.locator("canvas").count() >= 1
        shot(page, f"report-{slug}")
    page.goto("/reports/ar-aging/?ranges=90,30")
    assert page.get_by_text("Give 1 to 8 increasing positive numbers of days.").is_visible()
