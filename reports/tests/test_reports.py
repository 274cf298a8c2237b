"""Reports: numbers against an independent calculation, page = API = CSV, filters, roles, where reads go."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import commands as billing
from clinical import commands as clinical
from inpatient import commands as inpatient
from pharmacy import commands as pharmacy
from reports.catalog import REPORTS
from reports.catalog.base import ANSWER_KEYS
from reports.engine import refresh
from reports.projections import REGISTRY
from scheduling import commands as scheduling
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory, UserFactory
from tests.support.factories.inpatient import inpatient_encounter
from tests.support.stack import on_stack, served_by, sign_in, standbys, wait_replayed

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def hospital():
    """A small hand-built hospital: two departments, two payers, invoices, payments, credits, diagnoses, stock."""
    radiology, lab = DepartmentFactory(code="RAD", name="Radiology"), DepartmentFactory(code="LAB", name="Laboratory")
    xray = ServiceFactory(code="XR", name="X-ray", department=radiology, price=Decimal("80.00"))
    blood = ServiceFactory(code="FBC", name="Blood count", department=lab, price=Decimal("20.00"))
    acme, cash = PayerFactory(name="Acme", payment_terms_days=30), PayerFactory(name="Cash", payment_terms_days=0)
    made = {}
    for name, payer, lines, posted, paid, credited in (
        ("a", acme, [(xray, 1), (blood, 2)], TODAY - 40 * DAY, ("60.00", TODAY - 5 * DAY), None),  # 120 invoiced
        ("b", cash, [(xray, 2)], TODAY - 10 * DAY, ("160.00", TODAY - 9 * DAY), None),  # 160, paid in full
        ("c", acme, [(blood, 1)], TODAY, None, ("5.00", TODAY)),  # 20, 5 credited
        ("d", cash, [(xray, 1)], TODAY - 100 * DAY, None, None),  # 80 open, aged
    ):
        invoice = billing.invoice_create(
            patient_id=PatientFactory(family_name=f"Patient{name.upper()}").pk,
            payer_id=payer.pk,
            posting_date=posted,
            lines=[{"service": s.pk, "quantity": q} for s, q in lines],
        )
        billing.invoice_issue(invoice_id=invoice.pk)
        if paid:
            billing.payment_record(invoice_id=invoice.pk, amount=Decimal(paid[0]), method="cash", paid_on=paid[1])
        if credited:
            billing.credit_note_create(
                invoice_id=invoice.pk, amount=Decimal(credited[0]), reason="x", credited_on=credited[1]
            )
        made[name] = invoice
    for code, count in (("I10", 3), ("E11.9", 2), ("J06.9", 1)):
        for _ in range(count):
            clinical.diagnosis_record(encounter_id=EncounterFactory(department=radiology).pk, code=code)
    drug = pharmacy.drug_create(
        code="PARA",
        generic_name="Paracetamol",
        form="tablet",
        strength="500 mg",
        unit="tablet",
        unit_price=Decimal("0.10"),
        reorder_level=50,
        ingredients=["paracetamol"],
    )
    pharmacy.stock_receive(
        drug_id=drug.pk, lot_number="L1", expiry_date=TODAY + 20 * DAY, quantity=30, unit_cost=Decimal("0.04")
    )
    ward = inpatient.ward_create(code="W1", name="Ward 1", department_id=radiology.pk, bed_day_price=Decimal("300"))
    bed = inpatient.bed_create(ward_id=ward.pk, label="1", in_service_since=timezone.now() - 5 * DAY)
    inpatient.admission_admit(
        encounter_id=inpatient_encounter().pk, bed_id=bed.pk, admitted_at=timezone.now() - 3 * DAY
    )
    # A walk-in waiting in radiology today (the appointments report and the queue board have a row).
    scheduling.walk_in_check_in(
        patient_id=PatientFactory().pk, department_id=radiology.pk, provider_id=UserFactory(roles=["clinician"]).pk
    )
    for name in REGISTRY:
        refresh.refresh(name, force=True)
    return made


@pytest.fixture
def viewer(client):
    sign_in(client, UserFactory(username="viewer", roles=["report_viewer"]))
    return client


@on_stack
def test_revenue_numbers_equal_an_independent_calculation(viewer, hospital):
    body = viewer.get(
        "/api/v1/reports/revenue/",
        {
            "start": (TODAY - 60 * DAY).isoformat(),
            "end": TODAY.isoformat(),
            "dimension": "department",
            "grain": "month",
        },
    ).json()
    # invoiced: 120 + 160 + 20 (the 100-day-old invoice is outside the range); collected 60 + 160; credited 5
    assert body["totals"] == {"invoiced": "300.00", "collected": "220.00", "credited": "5.00", "net": "295.00"}
    by_department = {r["name"]: r for r in body["rows"]}
    # invoice a: X-ray 80 + blood 40, paid 60 -> spread 40 to Radiology, 20 to Laboratory
    assert by_department["Radiology"]["invoiced"] == "240.00" and by_department["Radiology"]["collected"] == "200.00"
    assert by_department["Laboratory"]["invoiced"] == "60.00" and by_department["Laboratory"]["collected"] == "20.00"
    assert body["previous"]["invoiced"] == "80.00"  # invoice d sits in the previous 61 days
    assert body["source"] == "materialized_view" and body["stale_seconds"] is not None


@on_stack
def test_ar_aging_page_api_and_csv_agree(viewer, hospital):
    api = viewer.get("/api/v1/reports/ar-aging/", {"group_by": "payer"}).json()
    assert api["totals"]["outstanding"] == "155.00"  # a: 60, c: 15, d: 80
    page = viewer.get("/reports/ar-aging/", {"group_by": "payer"})
    assert page.status_code == 200
    html = page.content.decode()
    for row in api["rows"]:
        assert row["payer_name"] in html and row["outstanding"] in html
    response = viewer.get("/reports/ar-aging/", {"group_by": "payer", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["Payer"] for r in table] == [r["payer_name"] for r in api["rows"]] + ["TOTAL"]
    assert [r["Outstanding"] for r in table] == [r["outstanding"] for r in api["rows"]] + ["155.00"]
    labels = ["Not due", "0-30", "31-60", "61-90", "91-120", "121+"]
    assert [b["label"] for b in api["buckets"]] == labels
    for row in table:
        assert sum(Decimal(row[b]) for b in labels) == Decimal(row["Outstanding"])
    for row, shown in zip(api["rows"], table, strict=False):  # the API's bucket amounts are the CSV's columns
        assert [b["amount"] for b in row["buckets"]] == [shown[label] for label in labels]


@on_stack
def test_ar_aging_drills_down_from_payer_to_patients_to_invoices(client, hospital):
    sign_in(client, UserFactory(username="clerk-drill", roles=["billing_clerk"]))  # patients' names: not a viewer
    viewer = client
    payers = viewer.get("/api/v1/reports/ar-aging/").json()["rows"]
    acme = next(r for r in payers if r["payer_name"] == "Acme")
    page = viewer.get("/reports/ar-aging/").content.decode()
    assert f"payer={acme['payer_id']}" in page  # the payer row links one level down
    patients = viewer.get("/api/v1/reports/ar-aging/", {"group_by": "patient", "payer": acme["payer_id"]}).json()
    assert {r["patient_name"].split(",")[0] for r in patients["rows"]} == {"PatientA", "PatientC"}
    patient = patients["rows"][0]
    invoices = viewer.get("/api/v1/reports/ar-aging/", {"group_by": "invoice", "patient": patient["patient_id"]}).json()
    assert [r["outstanding"] for r in invoices["rows"]] == [patient["outstanding"]]


@on_stack
def test_diagnosis_trends_and_pharmacy_stock(viewer, hospital):
    trends = viewer.get("/api/v1/reports/diagnosis-trends/", {"top": 2}).json()
    assert [(r["code"], r["diagnoses"]) for r in trends["rows"]] == [("I10", 3), ("E11.9", 2)]
    assert trends["rows"][0]["chapter_title"].startswith("Diseases of the circulatory system")
    stock = viewer.get("/api/v1/reports/pharmacy-stock/").json()
    assert stock["totals"]["low_stock"] == 1 and stock["totals"]["expiring_30"] == 1
    assert stock["rows"][0]["below_reorder"] is True
    page = viewer.get("/reports/pharmacy-stock/")
    assert "Paracetamol" in page.content.decode()


@on_stack
def test_the_stock_headline_is_the_same_from_redis_and_from_the_views(hospital):
    from reports.engine import store
    from reports.queries.summaries import pharmacy_stock_summary

    from_redis = pharmacy_stock_summary()
    store.redis().delete("hmis:proj:pharmacy_stock:meta")  # Redis lost its summary: the views answer
    from_views = pharmacy_stock_summary()
    assert (from_redis["source"], from_views["source"]) == ("redis", "materialized_view")
    assert from_redis["totals"] == from_views["totals"] and from_views["totals"]["low_stock"] == 1


@on_stack
def test_every_report_answers_in_one_shape_on_its_page_api_and_csv(viewer, hospital):
    for slug, report in REPORTS.items():
        body = viewer.get(f"/api/v1/reports/{slug}/").json()
        assert set(ANSWER_KEYS) <= set(body), (slug, sorted(body))
        assert isinstance(body["rows"], list) and body["rows"], slug  # the hospital has something for each
        assert body["totals"] is None or isinstance(body["totals"], dict), slug
        assert body["source"] in ("redis", "materialized_view") and body["fresh_as_of"], slug
        assert viewer.get(f"/reports/{slug}/").status_code == 200, slug
        export = viewer.get(f"/reports/{slug}/", {"format": "csv"})
        table = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
        assert len(table) == 1 + len(body["rows"]) + bool(report.totals_row), slug


@on_stack
def test_bad_filters_are_clear_errors_not_500s(viewer, hospital):
    cases = [
        ("/api/v1/reports/revenue/", {"start": "2026-05-01", "end": "2026-04-01"}, "start"),
        ("/api/v1/reports/revenue/", {"dimension": "colour"}, "dimension"),
        ("/api/v1/reports/ar-aging/", {"as_of": "not-a-date"}, "as_of"),
        ("/api/v1/reports/ar-aging/", {"ranges": "90,30"}, "ranges"),
        ("/api/v1/reports/diagnosis-trends/", {"top": "500"}, "top"),
    ]
    for url, params, field in cases:
        response = viewer.get(url, params)
        assert response.status_code == 400, (url, params)
        assert field in response.json()["errors"], response.json()
    page = viewer.get("/reports/revenue/", {"start": "2026-05-01", "end": "2026-04-01"})
    assert page.status_code == 400 and "The start date is after the end date." in page.content.decode()


@on_stack
def test_only_roles_with_reports_see_them(client, hospital):
    sign_in(client, UserFactory(username="clerk", roles=["billing_clerk"]))
    assert client.get("/api/v1/reports/ar-aging/").status_code == 200
    assert client.get("/api/v1/reports/diagnosis-trends/").status_code == 403
    assert client.get("/reports/diagnosis-trends/").status_code == 403
    sign_in(client, UserFactory(username="chemist", roles=["pharmacist"]))
    assert client.get("/api/v1/reports/pharmacy-stock/").status_code == 200
    assert client.get("/api/v1/reports/revenue/").status_code == 403
    assert client.get("/reports/ar-aging/", {"format": "csv"}).status_code == 403
    client.logout()
    assert client.get("/reports/revenue/").status_code == 302  # to the sign-in page


@on_stack
def test_dashboard_page_and_api_show_the_same_headline_numbers(viewer, hospital):
    api = viewer.get("/api/v1/reports/dashboard/").json()
    assert api["source"] == "redis"
    assert api["ar_outstanding"] == "155.00" and api["ar_over_90"] == "80.00"
    assert api["low_stock"] == 1
    page = viewer.get("/").content.decode()
    assert "155.00" in page and "80.00" in page and "I10" in page


@on_stack
def test_performance_test_three_ways_agree(client, hospital):
    sign_in(client, UserFactory(username="ops", roles=["admin"], is_staff=True))
    for report in ("ar-aging", "revenue", "diagnosis-trends"):
        body = client.get("/api/v1/reports/performance-test/", {"report": report}).json()
        assert body["agree"] is True, body
        assert all(way["ms"] is not None for way in body["results"].values())
        assert body["results"]["live_aggregate"]["timed_out"] is False
    bad = client.get("/api/v1/reports/performance-test/", {"report": "nope"})
    assert bad.status_code == 400 and "report" in bad.json()["errors"]


@on_stack
def test_report_gets_issue_no_query_to_the_primary_when_all_is_healthy(client, caplog, hospital):
    sign_in(client, UserFactory(username="viewer2", roles=["report_viewer"]))
    wait_replayed()
    caplog.set_level("INFO", logger="hmis.request")
    for path in (
        "/",
        "/reports/ar-aging/",
        "/reports/revenue/",
        "/reports/diagnosis-trends/",
        "/reports/pharmacy-stock/",
        "/reports/population-health/",
        "/api/v1/reports/ar-aging/",
        "/api/v1/reports/revenue/",
        "/api/v1/reports/dashboard/",
        "/api/v1/reports/pharmacy-stock/",
        "/api/v1/reports/population-health/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        served = served_by(caplog, path)
        assert served.get("default", 0) == 0, (path, served)
        assert set(served) <= set(standbys()), (path, served)


@on_stack
def test_the_dashboard_api_shows_each_role_only_its_numbers(client, hospital):
    sign_in(client, UserFactory(username="chemist2", roles=["pharmacist"]))
    clinical_only = client.get("/api/v1/reports/dashboard/").json()
    assert "low_stock" in clinical_only and "open_encounters" in clinical_only
    assert not {"ar_outstanding", "ar_over_90", "today_invoiced", "today_collected"} & set(clinical_only)
    sign_in(client, UserFactory(username="clerk2", roles=["billing_clerk"]))
    financial_only = client.get("/api/v1/reports/dashboard/").json()
    assert financial_only["ar_outstanding"] == "155.00"
    assert not {"low_stock", "top_diagnoses", "open_encounters"} & set(financial_only)


@on_stack
def test_report_answers_match_the_schema_a_client_is_generated_from(client, hospital):
    from tests.support.openapi import schema, validate

    sign_in(client, UserFactory(username="schema-clerk", roles=["billing_clerk", "clinician", "pharmacist"]))
    asked = {
        "ar-aging": [
            {},
            {"group_by": "patient"},
            {"group_by": "invoice", "ranges": "15,45"},
            {"basis": "posting_date"},
        ],
        "revenue": [{"start": (TODAY - 120 * DAY).isoformat()}, {"grain": "day", "dimension": "payer"}],
    }
    paths = schema()["paths"]
    for slug in REPORTS:
        ref = paths[f"/api/v1/reports/{slug}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        for params in asked.get(slug, [{}]):
            answer = client.get(f"/api/v1/reports/{slug}/", params)
            assert answer.status_code == 200, (slug, answer.content[:300])
            body = answer.json()
            validate(body, ref["$ref"].rsplit("/", 1)[1])
            if slug in asked:
                assert body["rows"], (slug, params)  # the typed rows were there to check
    aging = client.get("/api/v1/reports/ar-aging/", {"group_by": "invoice", "ranges": "15,45"}).json()
    assert [b["label"] for b in aging["buckets"]] == ["Not due", "0-15", "16-45", "46+"]
    for row in aging["rows"]:
        assert sum(Decimal(b["amount"]) for b in row["buckets"]) == Decimal(row["outstanding"])
