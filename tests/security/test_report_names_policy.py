"""Report viewers see the hospital's figures, not its patients: AR rows that name patients (by patient, by
invoice, or one patient's) need permission to view patients as well. Billing clerks, who chase the debts,
have it; report viewers (managers) do not, and their AR-by-payer page offers no drill-down into names."""

from billing import commands as billing
from reports.engine import refresh
from reports.projections import REGISTRY
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.stack import on_stack, sign_in, wait_replayed

pytestmark = on_stack


def owing():
    patient = PatientFactory(family_name="Privateperson", mrn="MRN-NAMES-1")
    invoice = billing.invoice_create(
        patient_id=patient.pk, payer_id=PayerFactory(name="Acme").pk, lines=[{"service": ServiceFactory().pk}]
    )
    billing.invoice_issue(invoice_id=invoice.pk)
    for name in REGISTRY:
        refresh.refresh(name, force=True)
    wait_replayed()
    return patient


def test_report_viewers_see_ar_by_payer_but_not_the_names_beneath(client):
    patient = owing()
    sign_in(client, UserFactory(username="manager", roles=["report_viewer"]))
    by_payer = client.get("/reports/ar-aging/")
    assert by_payer.status_code == 200 and "Acme" in by_payer.content.decode()
    assert "group_by=patient" not in by_payer.content.decode()  # no drill-down link into names
    for params in ({"group_by": "patient"}, {"group_by": "invoice"}, {"patient": patient.pk}):
        page = client.get("/reports/ar-aging/", params)
        assert page.status_code == 403 and "name patients" in page.content.decode(), params
        assert client.get("/reports/ar-aging/", {**params, "format": "csv"}).status_code == 403
        api = client.get("/api/v1/reports/ar-aging/", params)
        assert api.status_code == 403 and "Privateperson" not in api.content.decode()


def test_billing_clerks_see_who_owes(client):
    owing()
    sign_in(client, UserFactory(username="clerk-names", roles=["billing_clerk"]))
    page = client.get("/reports/ar-aging/")
    assert "group_by=patient" in page.content.decode()
    by_patient = client.get("/api/v1/reports/ar-aging/", {"group_by": "patient"})
    assert by_patient.status_code == 200 and by_patient.json()["rows"][0]["mrn"] == "MRN-NAMES-1"
