"""One error shape for one situation, on every endpoint (core/api/errors.py):
- a request body names an object that does not exist: 400 on that field, "<Thing> <id> does not exist.";
- the URL names an object that does not exist: 404 under "detail", the same words;
- the action clashes with the current state: 409, on the body field that named the object in the way,
  else under "detail".
Each is asked of several endpoints of different apps; nothing is written by any of them."""

from decimal import Decimal

import pytest

from billing import commands as billing
from billing.models import CreditNote, Invoice, Payment
from clinical import commands as clinical
from clinical.models import Diagnosis, Vitals
from pharmacy.models import Dispense, Prescription
from tests.support.factories.billing import PayerFactory, ServiceFactory, issued_invoice
from tests.support.factories.clinical import EncounterFactory, PatientFactory
from tests.support.factories.pharmacy import amoxicillin

pytestmark = pytest.mark.django_db
GONE = 987_654_321
ORDER = {"dose": "1", "frequency": "daily", "duration_days": 1, "quantity": 1}


def only_error(response, status: int) -> dict:
    """The body's errors, after checking the status and that the body holds nothing but them."""
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"errors"}, body
    assert all(isinstance(v, list) and len(v) == 1 and isinstance(v[0], str) for v in body["errors"].values()), body
    return body["errors"]


@pytest.fixture
def api(api_as):
    return api_as("admin")


@pytest.fixture
def counts():
    models = (Vitals, Diagnosis, Prescription, Dispense, Invoice, Payment, CreditNote)

    def take():
        return {m.__name__: m.objects.using("default").count() for m in models}

    return take


def test_a_missing_object_named_in_a_body_is_a_400_on_that_field_everywhere(api, counts):
    patient, payer, drug, service = PatientFactory(), PayerFactory(), amoxicillin(), ServiceFactory()
    before = counts()
    asked = {
        "encounter": [
            ("/api/v1/vitals/", {"encounter": GONE, "pulse": 70}),
            ("/api/v1/diagnoses/", {"encounter": GONE, "code": "I10"}),
            (
                "/api/v1/prescriptions/",
                {"encounter": GONE, "drug": drug.pk, **ORDER},
            ),
            (
                "/api/v1/invoices/",
                {
                    "patient": patient.pk,
                    "payer": payer.pk,
                    "encounter": GONE,
                    "lines": [{"service": service.pk}],
                },
            ),
            ("/api/v1/admissions/", {"encounter": GONE, "ward": GONE}),
        ],
        "invoice": [("/api/v1/payments/", {"invoice": GONE, "amount": "1.00", "method": "cash"})],
        "prescription": [("/api/v1/dispenses/", {"prescription": GONE})],
        "patient": [("/api/v1/allergy-statements/", {"patient": GONE, "kind": "nkda"})],
    }
    for field, requests in asked.items():
        label = field.capitalize()
        for path, body in requests:
            errors = only_error(api.post(path, body, format="json"), 400)
            assert errors == {field: [f"{label} {GONE} does not exist."]}, path
    assert counts() == before


def test_a_missing_object_named_in_the_url_is_a_404_under_detail_everywhere(api, counts):
    before = counts()
    asked = [
        ("get", f"/api/v1/invoices/{GONE}/", None, "Invoice"),
        ("get", f"/api/v1/encounters/{GONE}/", None, "Encounter"),
        ("get", f"/api/v1/patients/{GONE}/summary/", None, "Patient"),
        ("post", f"/api/v1/invoices/{GONE}/issue/", {}, "Invoice"),
        ("post", f"/api/v1/invoices/{GONE}/credit-notes/", {"amount": "1.00", "reason": "goodwill"}, "Invoice"),
        ("post", f"/api/v1/encounters/{GONE}/close/", {}, "Encounter"),
        ("post", f"/api/v1/prescriptions/{GONE}/cancel/", {}, "Prescription"),
        ("post", f"/api/v1/appointments/{GONE}/check-in/", {}, "Appointment"),
    ]
    for method, path, body, label in asked:
        response = getattr(api, method)(path, body, format="json") if body is not None else api.get(path)
        assert only_error(response, 404) == {"detail": [f"{label} {GONE} does not exist."]}, path
    assert counts() == before


def test_a_state_conflict_is_a_409_on_the_field_that_named_the_object_else_under_detail(api, counts):
    closed = EncounterFactory()
    clinical.encounter_close(encounter_id=closed.pk)
    issued = issued_invoice("50.00")
    draft = billing.invoice_create(
        patient_id=PatientFactory().pk, payer_id=PayerFactory().pk, lines=[{"service": ServiceFactory().pk}]
    )
    drug = amoxicillin()
    before = counts()
    # The URL's own object is in the way: "detail".
    for path, body in [
        (f"/api/v1/encounters/{closed.pk}/close/", {}),
        (f"/api/v1/invoices/{issued.pk}/issue/", {}),
        (f"/api/v1/invoices/{draft.pk}/credit-notes/", {"amount": "1.00", "reason": "goodwill"}),
    ]:
        errors = only_error(api.post(path, body, format="json"), 409)
        assert list(errors) == ["detail"], (path, errors)
    # An object the body named is in the way: that field.
    for field, path, body in [
        ("encounter", "/api/v1/vitals/", {"encounter": closed.pk, "pulse": 70}),
        ("encounter", "/api/v1/diagnoses/", {"encounter": closed.pk, "code": "I10"}),
        (
            "encounter",
            "/api/v1/prescriptions/",
            {"encounter": closed.pk, "drug": drug.pk, **ORDER},
        ),
        ("invoice", "/api/v1/payments/", {"invoice": draft.pk, "amount": "1.00", "method": "cash"}),
    ]:
        errors = only_error(api.post(path, body, format="json"), 409)
        assert list(errors) == [field], (path, errors)
    assert counts() == before
    assert Invoice.objects.using("default").get(pk=draft.pk).amount_paid == Decimal("0.00")
