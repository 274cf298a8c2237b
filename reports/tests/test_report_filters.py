"""Report pages as people use them: payers, patients and departments by name, ISO dates only, the effective
values and period shown, plain-words freshness, rows that open their invoices, the hospital's time zone."""

import datetime
import re

import pytest
from django.utils import timezone

from billing.models import Payer
from reports.templatetags.report_tags import ago, cell
from reports.tests.test_reports import TODAY, hospital  # noqa: F401 (the fixture)
from tests.support.factories.clinical import UserFactory
from tests.support.stack import on_stack, sign_in


@pytest.fixture
def clerk(client):
    sign_in(client, UserFactory(username="clerk", roles=["billing_clerk", "report_viewer"]))  # all reports, patients
    return client


@on_stack
def test_a_payer_is_chosen_by_name_and_the_page_says_which(clerk, hospital):  # noqa: F811
    acme = Payer.objects.get(name="Acme")
    found = clerk.get("/reports/lookup/payer/", {"q": "acm"}).json()["results"]
    assert found == [{"id": acme.pk, "label": "Acme", "detail": acme.get_kind_display(), "value": "Acme"}]
    # typed and not picked (no JavaScript): the name is resolved
    page = clerk.get("/reports/ar-aging/", {"payer_name": "acme", "group_by": "invoice"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<input type="hidden" name="payer" value="{acme.pk}" data-combobox-value>' in html
    assert 'name="payer_name" value="Acme"' in html and "Payer: Acme" in html
    numbers = set(re.findall(r"INV-[\w-]+", html))
    assert numbers and "Cash" not in html.split("<tbody>")[1]
    unknown = clerk.get("/reports/ar-aging/", {"payer_name": "Nobody"})
    assert unknown.status_code == 400 and "No payer matches “Nobody”." in unknown.content.decode()
    # a patient too (the clerk may see patients): suggested with the MRN, and a typed name resolved
    patient = clerk.get("/reports/lookup/patient/", {"q": "patienta"}).json()["results"]
    assert [p["label"].split(",")[0] for p in patient] == ["PatientA"] and " · " in patient[0]["detail"]  # MRN · born
    mine = clerk.get("/reports/ar-aging/", {"patient_name": patient[0]["label"], "group_by": "invoice"})
    mine = mine.content.decode()
    assert f"Patient: {patient[0]['label']}" in mine and "INV-" in mine and "PatientC" not in mine
    # the API still takes the id
    assert clerk.get("/api/v1/reports/ar-aging/", {"payer": acme.pk}).status_code == 200


@on_stack
def test_invoice_rows_open_their_invoice(clerk, hospital):  # noqa: F811
    html = clerk.get("/reports/ar-aging/", {"group_by": "invoice"}).content.decode()
    for invoice in hospital.values():
        invoice.refresh_from_db()
        if invoice.status != "paid":
            assert f'href="/billing/invoices/{invoice.pk}/"' in html
    by_payer = clerk.get("/reports/revenue/", {"dimension": "payer"}).content.decode()
    acme = Payer.objects.get(name="Acme")
    assert f"/billing/invoices/?payer={acme.pk}&amp;posted_from=" in by_payer


@on_stack
def test_patients_are_looked_up_only_by_those_who_see_patients(client, hospital):  # noqa: F811
    sign_in(client, UserFactory(username="numbers", roles=["report_viewer"]))
    assert client.get("/reports/lookup/patient/", {"q": "Patient"}).status_code == 403
    assert client.get("/reports/lookup/payer/", {"q": "Ca"}).json()["results"][0]["label"] == "Cash"
    assert client.get("/reports/lookup/nothing/", {"q": "Ca"}).status_code == 404
    radiology = client.get("/reports/lookup/department/", {"q": "radio"}).json()["results"]
    assert [d["label"] for d in radiology] == ["Radiology"]
    page = client.get("/reports/diagnosis-trends/", {"department_name": "Radiology"}).content.decode()
    assert "Department: Radiology" in page and "I10" in page  # the fixture's diagnoses are in radiology
    laboratory = client.get("/reports/diagnosis-trends/", {"department": radiology[0]["id"] + 1000})
    assert "I10" not in laboratory.content.decode().split("<tbody>")[1]


@on_stack
def test_dates_are_iso_only_and_the_effective_values_and_period_are_shown(clerk, hospital):  # noqa: F811
    us = clerk.get("/reports/revenue/", {"start": "01/09/2026"})
    assert us.status_code == 400 and "Enter the date as YYYY-MM-DD, e.g. 2026-09-01." in us.content.decode()
    assert clerk.get("/api/v1/reports/revenue/", {"start": "01/09/2026"}).status_code == 400
    html = clerk.get("/reports/revenue/").content.decode()
    start = TODAY - datetime.timedelta(days=89)
    assert f'type="date" name="start" value="{start.isoformat()}"' in html
    assert f"Figures cover: {start.isoformat()} to {TODAY.isoformat()} (90 days)" in html
    assert re.search(r'<option value="month" selected>', html)  # the grain the figures have, not "Day"
    assert "Grain: Month" in html
    # freshness in plain words, details on hover
    line = re.search(r'<p class="freshness[^"]*" role="status" title="([^"]*)">\s*([^<]*)', html)
    assert re.fullmatch(r"Updated (just now|\d+ (s|min|h|days) ago)", line.group(2).strip())
    assert "read from the materialized view" in line.group(1) and timezone.get_current_timezone_name() in line.group(1)
    trends = clerk.get("/reports/diagnosis-trends/", {"start": "2025-01-15", "end": "2025-03-10"})
    assert "Figures cover: 2025-01-01 to 2025-03-31 (90 days)" in trends.content.decode()  # whole months


def test_times_read_in_the_hospitals_time_zone_and_ages_in_words():
    moment = datetime.datetime(2026, 12, 1, 23, 30, tzinfo=datetime.UTC)
    with timezone.override("Africa/Nairobi"):
        assert cell(moment) == "2026-12-02 02:30"
    assert cell(datetime.date(2026, 12, 1)) == "2026-12-01"
    assert [ago(s) for s in (0.2, 5, 61, 7300, 200000)] == ["just now", "5 s ago", "1 min ago", "2 h ago", "2 days ago"]
