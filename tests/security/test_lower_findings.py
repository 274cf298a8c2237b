"""The lower findings of issue 18 that are about answers, not access: filters that were ignored and a
filter value that answered 500."""

import csv
import io

from pharmacy.commands import drug_update
from reports.engine import refresh
from tests.support.factories.clinical import UserFactory
from tests.support.factories.pharmacy import amoxicillin, receive
from tests.support.stack import on_stack, sign_in, wait_replayed

pytestmark = on_stack


def test_drug_stock_takes_the_code_form_and_active_filters_it_advertises(api_as):
    amoxicillin()
    amoxicillin(code="AMOXSUS", form="syrup", strength="250 mg/5 mL", unit="mL")
    old = amoxicillin(code="OLDAMOX", strength="250 mg")
    drug_update(drug_id=old.pk, active=False)
    client = api_as("pharmacist")
    wait_replayed()

    def codes(**params):
        response = client.get("/api/v1/drugs/stock/", params)
        assert response.status_code == 200, response.content
        return sorted(d["code"] for d in response.json()["results"])

    assert codes() == ["AMOX500", "AMOXSUS", "OLDAMOX"]
    assert codes(code="AMOXSUS") == ["AMOXSUS"]
    assert codes(form="syrup") == ["AMOXSUS"]
    assert codes(active="false") == ["OLDAMOX"]
    assert codes(active="true", form="capsule") == ["AMOX500"]


def test_pharmacy_stock_past_ninety_days_is_an_answer_not_a_500(client):
    drug = amoxicillin()
    receive(drug, "SOON", expires_in=20, quantity=10)
    receive(drug, "LATER", expires_in=100, quantity=10)
    receive(drug, "YEAR", expires_in=300, quantity=10)
    sign_in(client, UserFactory(username="chemist-120", roles=["pharmacist"]))
    refresh.refresh("pharmacy_stock")
    wait_replayed()
    body = client.get("/api/v1/reports/pharmacy-stock/", {"within_days": 120}).json()
    assert [(b["lot_number"], b["window"]) for b in body["batches"]] == [("SOON", "within_30"), ("LATER", "later")]
    page = client.get("/reports/pharmacy-stock/", {"within_days": 120})
    assert page.status_code == 200 and "91+ days" in page.content.decode()
    export = client.get("/reports/pharmacy-stock/", {"within_days": 120, "format": "csv"})
    assert export.status_code == 200
    assert list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))[1][0] == "AMOX500"
    # The default window still ends at 90 days, and its chart has no "later" bar.
    assert [b["lot_number"] for b in client.get("/api/v1/reports/pharmacy-stock/").json()["batches"]] == ["SOON"]
