"""The dashboard and every report page in a real browser: they render, chart, filter, and link."""

from playwright.sync_api import expect

from reports.catalog import REPORTS
from reports.engine import refresh
from reports.projections import REGISTRY
from tests.support.factories.clinical import UserFactory
from tests.support.stack import on_stack, shot

pytestmark = on_stack


def test_report_pages_render_with_charts_and_freshness(browse):
    UserFactory(username="finance", roles=["report_viewer"])
    for name in REGISTRY:
        refresh.refresh(name, force=True)
    page = browse("finance")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    shot(page, "dashboard")
    for slug, report in REPORTS.items():
        page.get_by_role("navigation", name="Main").get_by_role("link", name=report.title).click()
        expect(page.get_by_role("heading", name=report.title)).to_be_visible()
        assert page.get_by_role("status").filter(has_text="Updated").count() == 1  # the freshness line, in plain words
        assert page.locator("canvas").count() >= 1
        shot(page, f"report-{slug}")
    page.goto("/reports/ar-aging/?ranges=90,30")
    expect(page.get_by_text("Give 1 to 8 increasing positive numbers of days.")).to_be_visible()


def test_population_health_page_charts_control_rates_month_by_month(browse):
    import datetime
    from decimal import Decimal

    from clinical.models import Diagnosis, Encounter, LabResult
    from tests.support.factories.clinical import DepartmentFactory, PatientFactory

    UserFactory(username="quality", roles=["report_viewer"])
    doctor = UserFactory(username="dr-q")
    medicine = DepartmentFactory(code="MED", name="Medicine")
    first = datetime.date.today().replace(day=1)
    for months_back, values in ((2, ["6.1", "8.0"]), (1, ["6.4", "6.9", "9.2"]), (0, ["6.0", "6.2", "7.5"])):
        month = (first - datetime.timedelta(days=28 * months_back)).replace(day=3)
        moment = datetime.datetime.combine(month, datetime.time(10), tzinfo=datetime.UTC)
        for value in values:
            encounter = Encounter.objects.create(
                patient=PatientFactory(), type="outpatient", department=medicine, attending=doctor, started_at=moment
            )
            Diagnosis.objects.create(encounter=encounter, code_id="E11.9", description="T2DM", recorded_at=moment)
            LabResult.objects.create(
                encounter=encounter, patient=encounter.patient, test_code="4548-4", test_name="HbA1c",
                value=Decimal(value), unit="%", flag="high", resulted_at=moment,
            )  # fmt: skip
    refresh.refresh("population_health", force=True)
    page = browse("quality")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Population health").click()
    expect(page.get_by_role("heading", name="Population health")).to_be_visible()
    assert page.get_by_role("status").filter(has_text="Updated").count() == 1
    expect(page.get_by_role("img", name="Per month, % of patients (All departments)")).to_be_visible()
    rows = page.locator("table.report tbody tr")
    assert rows.count() == 3
    assert rows.nth(2).inner_text().split("\t")[1:5] == ["3", "3", "2", "66.7"]  # under care, diabetes, < 7 %
    shot(page, "report-population-health")
    page.get_by_label("Group by").select_option("department")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("columnheader", name="Department")).to_be_visible()
    assert page.locator("table.report tbody tr").first.inner_text().split("\t")[1] == "Medicine"
