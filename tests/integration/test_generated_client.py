"""An integrator's view: a typed Python client generated from /api/schema/ (openapi-python-client) drives a
whole visit against the live server: register, encounter, vitals, diagnosis, prescribe, invoice, issue,
dispense, pay; then the database is checked for what must and must not have been written."""

import json
import subprocess
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

from billing.commands import SELF_PAY
from billing.models import Invoice, Payer, Payment
from clinical.models import Diagnosis, Encounter, Patient, Vitals
from pharmacy.models import Dispense, Prescription
from tests.support import api_client
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import DepartmentFactory, UserFactory
from tests.support.factories.pharmacy import amoxicillin, receive
from tests.support.stack import on_stack

pytestmark = on_stack
VISIT = Path(__file__).with_name("client_visit.py")


@pytest.fixture(scope="module")
def generator():
    try:
        return api_client.ensure_generator()
    except api_client.RegistryUnreachable as exc:
        pytest.skip(f"openapi-python-client is not installed and the package registry is unreachable: {exc}")


def _key(client) -> str:
    return client._credentials["HTTP_AUTHORIZATION"].removeprefix("Api-Key ")


def test_a_generated_client_drives_a_visit_from_registration_to_payment(generator, live_server, api_as, tmp_path):
    desk, pharmacist = api_as("clinician", "billing_clerk"), api_as("pharmacist")
    asked = urllib.request.Request(
        f"{live_server.url}/api/schema/?format=json", headers={"Authorization": f"Api-Key {_key(desk)}"}
    )
    with urllib.request.urlopen(asked, timeout=60) as schema:
        (tmp_path / "schema.json").write_bytes(schema.read())
    client_dir = api_client.generate(tmp_path / "schema.json", tmp_path / "client")

    department = DepartmentFactory(name="General medicine", code="GEN")
    insurer = PayerFactory(name="Acme Health", payment_terms_days=30)
    drug = amoxicillin(unit_price=Decimal("0.80"))
    receive(drug, "LOT-1", 200, 100)
    setup = {
        "base_url": live_server.url,
        "desk_key": _key(desk),
        "pharmacist_key": _key(pharmacist),
        "department": department.pk,
        "doctor": UserFactory(roles=["clinician"]).pk,
        "payer": insurer.pk,
        "service": ServiceFactory(code="CONSULT", department=department, price=Decimal("40.00")).pk,
        "drug": drug.pk,
    }
    run = subprocess.run(
        [str(api_client.PYTHON), str(VISIT), str(client_dir)],
        input=json.dumps(setup),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    seen = json.loads(run.stdout)

    # What the client was told, in its own types.
    assert seen["draft_status"] == "draft" and seen["draft_outstanding"] is None  # a draft owes nothing yet
    assert seen["issued_number"] and seen["issued_outstanding"] == "40.00"
    assert (seen["paid_status"], seen["paid_outstanding"]) == ("paid", "0.00")
    assert seen["missing_is_error"] and seen["missing_errors"] == {"encounter": ["Encounter 999999999 does not exist."]}
    assert (seen["page_results"], seen["page_count"]) == (1, 2)  # the paid invoice and the dispense's draft
    assert "page_size=1" in seen["page_next"]
    assert seen["aging_bucket_labels"] == ["Not due", "0-30", "31-60", "61+"]
    assert seen["aging_bucket_bounds"] == [[None, -1], [0, 30], [31, 60], [61, None]]

    # What the database holds.
    patient = Patient.objects.using("default").get(pk=seen["patient"])
    assert patient.mrn == seen["mrn"]
    encounter = Encounter.objects.using("default").get(pk=seen["encounter"])
    assert encounter.patient_id == patient.pk and encounter.department_id == department.pk
    assert Vitals.objects.using("default").filter(encounter=encounter).count() == 1  # not the refused one
    assert list(Diagnosis.objects.using("default").filter(encounter=encounter).values_list("code", flat=True)) == [
        "I10"
    ]
    prescription = Prescription.objects.using("default").get(pk=seen["prescription"])
    assert prescription.status == Prescription.Status.DISPENSED
    invoice = Invoice.objects.using("default").get(pk=seen["invoice"])
    assert (invoice.status, invoice.payer_id, invoice.amount_paid) == ("paid", insurer.pk, Decimal("40.00"))
    assert list(Payment.objects.using("default").values_list("invoice_id", "amount")) == [
        (invoice.pk, Decimal("40.00"))
    ]
    # The dispense's charge went to the visit's payer, on a new draft (the visit's invoice was issued).
    charge = Dispense.objects.using("default").select_related("invoice_line__invoice").get(pk=seen["dispense"])
    assert charge.invoice_line.invoice.payer_id == insurer.pk
    assert charge.invoice_line.invoice.status == Invoice.Status.DRAFT
    assert charge.invoice_line.line_total == Decimal("12.00")  # 15 capsules at 0.80
    assert not Payer.objects.using("default").filter(name=SELF_PAY).exists()
    assert Invoice.objects.using("default").filter(encounter=encounter).count() == 2
