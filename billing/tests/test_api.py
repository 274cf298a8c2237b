from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceLine, Payment
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def invoice_body(patient, payer, lines, **extra):
    return {"patient": patient.pk, "payer": payer.pk, "lines": lines, **extra}


def test_an_integrator_bills_and_collects_entirely_through_the_api(api_as):
    api = api_as("clinician", "billing_clerk")
    department = api.get("/api/v1/departments/")
    assert department.status_code == 200
    dept = DepartmentFactory(name="Radiology", code="RAD")
    doctor = UserFactory(roles=["clinician"])
    payer = api.post(
        "/api/v1/payers/", {"name": "Acme Health", "kind": "insurer", "payment_terms_days": 30}, format="json"
    )
    assert payer.status_code == 201
    service = api.post(
        "/api/v1/services/",
        {"code": "xr-chest", "name": "Chest X-ray", "department": dept.pk, "price": "85.00"},
        format="json",
    )
    assert service.status_code == 201 and service.json()["code"] == "XR-CHEST"
    patient = api.post(
        "/api/v1/patients/",
        {"given_name": "Kwame", "family_name": "Mensah", "date_of_birth": "1973-02-28"},
        format="json",
    ).json()
    encounter = api.post(
        "/api/v1/encounters/",
        {"patient": patient["id"], "type": "outpatient", "department": dept.pk, "attending": doctor.pk},
        format="json",
    ).json()

    created = api.post(
        "/api/v1/invoices/",
        {
            "patient": patient["id"],
            "payer": payer.json()["id"],
            "encounter": encounter["id"],
            "lines": [
                {"service": service.json()["id"], "quantity": "2"},
                {"description": "Report fee", "unit_price": "15.50", "discount": "0.50"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    invoice = created.json()
    assert (invoice["status"], invoice["number"], invoice["total"]) == ("draft", None, "185.00")
    assert invoice["due_date"] > invoice["posting_date"]

    issued = api.post(f"/api/v1/invoices/{invoice['id']}/issue/")
    assert issued.status_code == 200
    assert issued.json()["number"] == f"INV-{timezone.localdate().year}-000001"
    assert api.post(f"/api/v1/invoices/{invoice['id']}/issue/").status_code == 409

    paid = api.post(
        "/api/v1/payments/", {"invoice": invoice["id"], "amount": "100.00", "method": "card"}, format="json"
    )
    assert paid.status_code == 201
    credit = api.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes/", {"amount": "5.00", "reason": "Goodwill"}, format="json"
    )
    assert credit.status_code == 201
    final = api.get(f"/api/v1/invoices/{invoice['id']}/").json()
    assert (final["status"], final["outstanding"], final["amount_paid"]) == ("partially_paid", "80.00", "100.00")
    assert len(final["payments"]) == 1 and len(final["credit_notes"]) == 1
    assert api.get(f"/api/v1/patients/{patient['id']}/summary/").json()["open_balance"] == "80.00"
    listed = api.get("/api/v1/invoices/", {"status": "partially_paid", "patient": patient["id"]}).json()
    assert [i["id"] for i in listed["results"]] == [invoice["id"]]


def test_an_invoice_with_one_bad_line_of_three_leaves_nothing(api_as):
    api = api_as("billing_clerk")
    service = ServiceFactory()
    response = api.post(
        "/api/v1/invoices/",
        invoice_body(
            PatientFactory(),
            PayerFactory(),
            [{"service": service.pk}, {"service": service.pk, "quantity": "-1"}, {"service": 999999}],
        ),
        format="json",
    )
    assert response.status_code == 400
    lines = response.json()["errors"]["lines"]
    assert set(lines) == {"1"} and "quantity" in lines["1"]
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()
    unknown_service = api.post(
        "/api/v1/invoices/", invoice_body(PatientFactory(), PayerFactory(), [{"service": 999999}]), format="json"
    )
    assert unknown_service.status_code == 400 and "service" in unknown_service.json()["errors"]["lines"]["0"]
    assert not Invoice.objects.exists()


def test_overpayment_is_a_400_and_paying_a_void_invoice_a_409(api_as):
    api = api_as("billing_clerk")
    created = api.post(
        "/api/v1/invoices/",
        invoice_body(PatientFactory(), PayerFactory(), [{"service": ServiceFactory(price=Decimal("50")).pk}]),
        format="json",
    ).json()
    api.post(f"/api/v1/invoices/{created['id']}/issue/")
    over = api.post("/api/v1/payments/", {"invoice": created["id"], "amount": "50.01", "method": "cash"}, format="json")
    assert over.status_code == 400
    assert over.json()["errors"]["amount"] == ["The payment exceeds the outstanding amount (50.00)."]
    voided = api.post(f"/api/v1/invoices/{created['id']}/void/", {"reason": "Entered twice"}, format="json")
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    after = api.post("/api/v1/payments/", {"invoice": created["id"], "amount": "1.00", "method": "cash"}, format="json")
    assert after.status_code == 409
    assert not Payment.objects.exists()
    # An invoice the body names that does not exist: a 400 on that field, like every reference in a body.
    missing = api.post("/api/v1/payments/", {"invoice": 999999, "amount": "1", "method": "cash"}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {"errors": {"invoice": ["Invoice 999999 does not exist."]}}
    assert not Payment.objects.exists()


def test_a_draft_owes_nothing_yet_and_says_so_on_the_api_and_the_pages(api_as, client):
    api = api_as("billing_clerk")
    body = invoice_body(PatientFactory(), PayerFactory(), [{"service": ServiceFactory(price=Decimal("70")).pk}])
    draft = api.post("/api/v1/invoices/", body, format="json").json()
    assert (draft["status"], draft["total"], draft["outstanding"]) == ("draft", "70.00", None)
    assert api.get(f"/api/v1/invoices/{draft['id']}/").json()["outstanding"] is None
    client.force_login(UserFactory(username="draft-clerk", roles=["billing_clerk"]))
    page = client.get(f"/billing/invoices/{draft['id']}/").content.decode()
    assert "Not owed yet" in page and "0.00" not in page.split("Outstanding", 1)[1].split("</dd>", 1)[0]
    issued = api.post(f"/api/v1/invoices/{draft['id']}/issue/").json()
    assert (issued["status"], issued["outstanding"]) == ("issued", "70.00")
    voided = api.post(f"/api/v1/invoices/{draft['id']}/void/", {"reason": "Entered twice"}, format="json").json()
    assert (voided["status"], voided["outstanding"]) == ("void", "0.00")


def test_a_supplementary_invoice_names_the_original_on_the_api(api_as):
    from billing import commands

    encounter = EncounterFactory()
    payer = PayerFactory()
    body = {"patient_id": encounter.patient_id, "payer_id": payer.pk, "encounter_id": encounter.pk}
    original = commands.invoice_create(**body, lines=[{"service": ServiceFactory().pk}])
    commands.invoice_issue(invoice_id=original.pk)
    later = commands.invoice_create(**body, lines=[{"description": "Paracetamol", "unit_price": Decimal("1.50")}])
    api = api_as("billing_clerk")
    assert api.get(f"/api/v1/invoices/{later.pk}/").json()["supplements"] == original.pk
    assert api.get(f"/api/v1/invoices/{original.pk}/").json()["supplements"] is None


def test_money_is_never_a_float(api_as):
    api = api_as("billing_clerk")
    response = api.post(
        "/api/v1/invoices/",
        invoice_body(
            PatientFactory(), PayerFactory(), [{"unit_price": "0.10", "quantity": "3", "description": "Gauze"}]
        ),
        format="json",
    )
    assert response.json()["total"] == "0.30"
    bad = api.post(
        "/api/v1/invoices/",
        invoice_body(PatientFactory(), PayerFactory(), [{"unit_price": "abc", "description": "x"}]),
        format="json",
    )
    assert bad.status_code == 400 and "unit_price" in bad.json()["errors"]["lines"]["0"]


def test_encounter_of_another_patient_is_refused(api_as):
    response = api_as("billing_clerk").post(
        "/api/v1/invoices/",
        invoice_body(
            PatientFactory(), PayerFactory(), [{"service": ServiceFactory().pk}], encounter=EncounterFactory().pk
        ),
        format="json",
    )
    assert response.status_code == 400 and "encounter" in response.json()["errors"]


def test_clinicians_cannot_bill_and_billing_clerks_cannot_diagnose(api_as):
    body = invoice_body(PatientFactory(), PayerFactory(), [{"service": ServiceFactory().pk}])
    assert api_as("clinician").post("/api/v1/invoices/", body, format="json").status_code == 403
    assert api_as("pharmacist").get("/api/v1/invoices/").status_code == 403
    assert api_as("billing_clerk").get("/api/v1/invoices/").status_code == 200
    assert not Invoice.objects.exists()


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/v1/invoices/{id}/credit-notes/",
        "/api/v1/encounters/{id}/close/",
        "/api/v1/patients/{id}/summary/",
    ):
        assert path in text
    assert "ApiKey" in text
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
