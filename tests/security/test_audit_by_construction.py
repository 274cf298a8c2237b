"""Every read of a patient's data is recorded, wherever it is rendered: a view that forgets to record what
it shows is covered by the rows its request loaded (core/audit/loaded.py). Found by a hostile-insider
review: lab results through the API, clinical alerts, the chart re-rendered with a form error, admin
lists and searches, an encounter's invoice page."""

from decimal import Decimal

import pytest

from billing import commands as billing
from clinical import commands as clinical
from core.audit.models import AuditEvent
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory
from tests.support.stack import on_stack

pytestmark = pytest.mark.django_db


def patients_read(**filters) -> set[int]:
    reads = AuditEvent.objects.using("default").filter(action__in=["view", "list", "export"], **filters)
    return set(reads.values_list("patient_id", flat=True))


def signed_in(client, role: str, **extra):
    client.force_login(UserFactory(username=f"audit-{role}", roles=[role], **extra))
    return client


def test_lab_results_through_the_api_are_recorded_per_patient(api_as):
    encounters = [EncounterFactory() for _ in range(2)]
    results = [clinical.lab_result_record(encounter_id=e.pk, test="2823-3", value=Decimal("4.1")) for e in encounters]
    api = api_as("clinician")
    assert api.get("/api/v1/lab-results/").status_code == 200
    assert patients_read(model="clinical.labresult") == {e.patient_id for e in encounters}
    assert api.get(f"/api/v1/lab-results/{results[0].pk}/").status_code == 200
    assert (
        AuditEvent.objects.using("default")
        .filter(action="view", model="clinical.labresult", object_id=str(results[0].pk))
        .exists()
    )


def test_a_patients_alerts_through_the_api_are_recorded(api_as):
    patient = PatientFactory()
    assert api_as("clinician").get(f"/api/v1/patients/{patient.pk}/alerts/").status_code == 200
    assert patients_read(path=f"/api/v1/patients/{patient.pk}/alerts/") == {patient.pk}


def test_the_chart_shown_again_with_a_form_error_is_recorded(client):
    encounter = EncounterFactory()
    signed_in(client, "clinician")
    response = client.post(f"/patients/encounters/{encounter.pk}/vitals/", {"pulse": "not a number"})
    assert response.status_code == 400
    assert patients_read(path=f"/patients/encounters/{encounter.pk}/vitals/") == {encounter.patient_id}


def test_admin_lists_and_searches_are_recorded_per_patient_shown(client):
    listed = [PatientFactory(family_name=f"Adminlisted{i}") for i in range(3)]
    signed_in(client, "admin", is_staff=True)
    assert client.get("/admin/clinical/patient/", {"q": "Adminlisted"}).status_code == 200
    assert patients_read(path="/admin/clinical/patient/") == {p.pk for p in listed}


def test_an_invoice_page_is_recorded(client):
    encounter = EncounterFactory()
    invoice = billing.invoice_create(
        patient_id=encounter.patient_id,
        payer_id=PayerFactory().pk,
        encounter_id=encounter.pk,
        lines=[{"service": ServiceFactory().pk}],
    )
    signed_in(client, "billing_clerk")
    assert client.get(f"/billing/invoices/{invoice.pk}/").status_code == 200
    assert encounter.patient_id in patients_read(path=f"/billing/invoices/{invoice.pk}/")
    assert client.get(f"/billing/encounters/{encounter.pk}/invoice/").status_code == 200
    assert patients_read(path=f"/billing/encounters/{encounter.pk}/invoice/") == {encounter.patient_id}


def test_a_request_that_reads_nobodys_data_records_nothing(client):
    PatientFactory()
    signed_in(client, "pharmacist")
    before = AuditEvent.objects.using("default").count()
    assert client.get("/pharmacy/").status_code == 200
    assert AuditEvent.objects.using("default").count() == before


@on_stack
@pytest.mark.parametrize("group_by", ["patient", "invoice"])
def test_an_ar_export_by_patient_or_invoice_records_each_patient_it_names(client, group_by, monkeypatch):
    from core.audit import trail
    from reports.engine import refresh
    from reports.projections import REGISTRY
    from tests.support.stack import wait_replayed

    monkeypatch.setattr(trail, "EXPORT_FLUSH", 2)  # several inserts while the file streams
    payer = PayerFactory(name="Exported")
    named = []
    for i in range(5):
        patient = PatientFactory(family_name=f"Owing{i}")
        invoice = billing.invoice_create(
            patient_id=patient.pk, payer_id=payer.pk, lines=[{"service": ServiceFactory(price=Decimal("10")).pk}]
        )
        billing.invoice_issue(invoice_id=invoice.pk)
        named.append(patient.pk)
    for name in REGISTRY:
        refresh.refresh(name, force=True)
    wait_replayed()
    signed_in(client, "billing_clerk")
    export = client.get("/reports/ar-aging/", {"group_by": group_by, "format": "csv"})
    assert len(b"".join(export.streaming_content).decode().strip().splitlines()) == 1 + 5 + 1  # header, rows, total
    exported = AuditEvent.objects.using("default").filter(action="export", model="reports.ar-aging")
    assert sorted(exported.exclude(patient_id=None).values_list("patient_id", flat=True)) == sorted(named)
    stamps = set(exported.values_list("username", "request_id", "detail"))
    assert len(stamps) == 1 and next(iter(stamps))[0] == "audit-billing_clerk"  # one request, its actor
