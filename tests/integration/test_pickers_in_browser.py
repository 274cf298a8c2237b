"""In a real browser: the diagnosis picker (typing "heart attack", keyboard only) and a report filtered by a
payer's name; report pages at a laptop's and a tablet's size (screenshots in artifacts/screenshots/)."""

from playwright.sync_api import expect

from clinical.models import Diagnosis
from reports.tests.test_reports import hospital  # noqa: F401 (the fixture)
from tests.support.factories.clinical import EncounterFactory, UserFactory
from tests.support.stack import on_stack, shot

pytestmark = on_stack


def test_a_diagnosis_is_picked_by_typing_heart_attack(browse):
    UserFactory(username="dr-pick", roles=["clinician"])
    encounter = EncounterFactory()
    page = browse("dr-pick")
    page.goto(f"/patients/{encounter.patient_id}/")
    page.locator("#record > details > summary", has_text="Diagnosis").click()  # the record panel's forms fold
    form = page.get_by_role("form", name="Record a diagnosis")
    box = form.get_by_role("combobox", name="Diagnosis (ICD-10-CM code)")
    box.press_sequentially("heart attack", delay=30)
    first = form.get_by_role("option").first
    expect(first).to_contain_text("I21.9 Acute myocardial infarction, unspecified")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    shot(page, "diagnosis-picker")
    box.press("Enter")  # picks; does not submit
    expect(box).to_have_value("I21.9 Acute myocardial infarction, unspecified")
    expect(box).to_have_attribute("aria-expanded", "false")
    form.get_by_role("button", name="Record diagnosis").click()
    expect(page.get_by_text("I21.9 Acute myocardial infarction, unspecified").first).to_be_visible()
    assert list(Diagnosis.objects.using("default").values_list("code_id", flat=True)) == ["I21.9"]


def test_a_report_is_filtered_by_payer_name_and_fits_laptop_and_tablet(browse, hospital):  # noqa: F811
    UserFactory(username="fin-pick", roles=["billing_clerk"])
    page = browse("fin-pick")
    for width, height in ((1366, 768), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/reports/ar-aging/?group_by=invoice")
        expect(page.get_by_role("heading", name="AR aging")).to_be_visible()
        shot(page, f"report-ar-aging-{width}x{height}")
        wrap = page.locator(".table-wrap")
        # the widest table scrolls inside its box rather than being cut off by the page
        assert wrap.evaluate("w => w.scrollWidth >= w.clientWidth && getComputedStyle(w).overflowX === 'auto'")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1366, "height": 768})
    box = page.get_by_role("combobox", name="Payer")
    box.press_sequentially("acm", delay=30)
    option = page.get_by_role("option", name="Acme")
    expect(option).to_be_visible()
    option.click()
    expect(box).to_have_value("Acme")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Payer: Acme")).to_be_visible()
    rows = page.locator("table.report tbody tr")
    expect(rows.first).to_be_visible()
    assert "Cash" not in page.locator("table.report tbody").inner_text()
    assert page.get_by_role("status").filter(has_text="Updated").count() == 1
    shot(page, "report-ar-aging-by-payer-name")
    page.emulate_media(media="print")
    shot(page, "report-ar-aging-print")
