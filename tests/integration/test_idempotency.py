"""Idempotency-Key: a retried POST returns the first response and writes nothing more."""

import time

import psycopg
import pytest
from django.db import connections
from django.test import Client

from billing.models import Invoice, Payment
from clinical.models import Patient
from core.models import IdempotencyKey
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, UserFactory
from tests.support.stack import in_parallel, on_stack, wait_replayed

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "given_name": "Ama",
    "family_name": "Boateng",
    "date_of_birth": "1990-02-03",
    "sex": "female",
    "confirm_new": True,  # registered more than once on purpose: no duplicate warning
}


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_returns_the_first_response_without_a_second_write(api_as):
    api = api_as("front_desk")
    first = post(api, "/api/v1/patients/", NEW_PATIENT, "k-1")
    again = post(api, "/api/v1/patients/", NEW_PATIENT, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Patient.objects.filter(family_name="Boateng").count() == 1
    assert IdempotencyKey.objects.get(key="k-1").response_status == 201


def test_the_same_key_with_another_body_is_a_422_and_writes_nothing(api_as):
    api = api_as("front_desk")
    post(api, "/api/v1/patients/", NEW_PATIENT, "k-2")
    other = post(api, "/api/v1/patients/", {**NEW_PATIENT, "given_name": "Kofi"}, "k-2")
    assert other.status_code == 422
    assert other.json() == {"errors": {"Idempotency-Key": ["This Idempotency-Key was used with a different request."]}}
    assert not Patient.objects.filter(given_name="Kofi").exists()


def test_keys_are_per_client_and_a_failed_request_keeps_no_key(api_as):
    one, two = api_as("front_desk"), api_as("front_desk")
    assert post(one, "/api/v1/patients/", NEW_PATIENT, "shared").status_code == 201
    assert post(two, "/api/v1/patients/", NEW_PATIENT, "shared").status_code == 201  # not the same client
    bad = post(one, "/api/v1/patients/", {**NEW_PATIENT, "date_of_birth": "2999-01-01"}, "fix-me")
    assert bad.status_code == 400 and not IdempotencyKey.objects.filter(key="fix-me").exists()
    fixed = post(one, "/api/v1/patients/", {**NEW_PATIENT, "given_name": "Yaw"}, "fix-me")
    assert fixed.status_code == 201  # nothing had been written: the key was free for the corrected request
    assert Patient.objects.filter(family_name="Boateng").count() == 3


def test_payments_invoices_and_actions_replay_too(api_as):
    api = api_as("billing_clerk")
    encounter, payer, service = EncounterFactory(), PayerFactory(), ServiceFactory()
    body = {"patient": encounter.patient_id, "payer": payer.pk, "lines": [{"service": service.pk}]}
    invoice = post(api, "/api/v1/invoices/", body, "inv-1")
    assert post(api, "/api/v1/invoices/", body, "inv-1").json() == invoice.json()
    invoice_id = invoice.json()["id"]
    issued = post(api, f"/api/v1/invoices/{invoice_id}/issue/", {}, "issue-1")
    assert post(api, f"/api/v1/invoices/{invoice_id}/issue/", {}, "issue-1").json() == issued.json()
    payment = {"invoice": invoice_id, "amount": "10.00", "method": "cash"}
    paid = [post(api, "/api/v1/payments/", payment, "pay-1") for _ in range(3)]
    assert {r.status_code for r in paid} == {201} and len({r.json()["id"] for r in paid}) == 1
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 1


def test_a_key_must_be_printable_and_not_too_long(api_as):
    api = api_as("front_desk")
    assert post(api, "/api/v1/patients/", NEW_PATIENT, "x" * 256).status_code == 400
    assert post(api, "/api/v1/patients/", NEW_PATIENT, "tab\there").status_code == 400
    assert not Patient.objects.exists()


def test_old_keys_are_purged_after_the_keep_period(api_as, settings):
    from core.api.idempotency import purge

    api = api_as("front_desk")
    post(api, "/api/v1/patients/", NEW_PATIENT, "old")
    post(api, "/api/v1/patients/", {**NEW_PATIENT, "given_name": "Esi"}, "new")
    IdempotencyKey.objects.filter(key="old").update(created_at="2000-01-01T00:00:00Z")
    assert settings.IDEMPOTENCY_KEEP_HOURS >= 24
    assert purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def _session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _holding_patient_table():
    """A separate connection holding a lock that makes every patient insert wait until it is released."""
    s = connections["default"].settings_dict
    conn = psycopg.connect(host=s["HOST"], port=s["PORT"], user=s["USER"], dbname=s["NAME"], autocommit=False)
    conn.execute("LOCK TABLE clinical_patient IN SHARE MODE")
    return conn


@on_stack
def test_simultaneous_retries_with_one_key_make_exactly_one_write_and_all_get_its_response():
    user = UserFactory(roles=["front_desk"])
    wait_replayed()
    clients = [_session(user) for _ in range(4)]
    lock = _holding_patient_table()  # the first request to claim the key will wait inside its transaction

    def send(i):
        if i == 0:
            time.sleep(1.0)  # every request is in flight, the first blocked on the lock, the rest on the key
            lock.rollback()
            return None
        return clients[i - 1].post("/api/v1/patients/", NEW_PATIENT, "application/json", HTTP_IDEMPOTENCY_KEY="par")

    try:
        results = in_parallel(5, send)[1:]
    finally:
        lock.close()
    assert all(not isinstance(r, Exception) for r in results), results
    assert [r.status_code for r in results] == [201] * 4
    assert len({r.content for r in results}) == 1
    assert sum(r.get("Idempotent-Replayed") == "true" for r in results) == 3
    assert Patient.objects.using("default").filter(family_name="Boateng").count() == 1


@on_stack
def test_a_retry_that_waits_too_long_for_the_first_gets_409_and_the_first_still_succeeds(settings):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.3
    user = UserFactory(roles=["front_desk"])
    wait_replayed()
    first, retry = _session(user), _session(user)
    lock = _holding_patient_table()

    def send(i):
        if i == 2:
            time.sleep(1.5)
            lock.rollback()
            return None
        if i == 1:
            time.sleep(0.3)  # the first has claimed the key and is waiting on the lock
        client = first if i == 0 else retry
        return client.post("/api/v1/patients/", NEW_PATIENT, "application/json", HTTP_IDEMPOTENCY_KEY="slow")

    try:
        done, waited, _ = in_parallel(3, send)
    finally:
        lock.close()
    assert done.status_code == 201, done.content
    assert waited.status_code == 409 and "in progress" in waited.json()["errors"]["detail"][0]
    assert Patient.objects.using("default").filter(family_name="Boateng").count() == 1
