"""Nothing writes around the commands in the admin: every admin of our apps saves through a command or
is read-only, corrections keep derived fields right, and actions need the permissions the API needs."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.management import call_command
from rest_framework.test import APIClient

from billing import commands as billing
from billing.models import Invoice, Payer, Service
from clinical import commands as clinical
from clinical.models import Department, Diagnosis, Encounter
from core.admin import CommandAdmin, ReadOnlyAdmin
from core.models import ApiClient
from pharmacy.models import Drug
from tests.support import data
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db
OUR_APPS = {"hmis", "clinical", "billing", "pharmacy", "reports"}


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def as_role(client, role: str):
    client.force_login(UserFactory(username=f"admin-{role}", is_staff=True, roles=[role]))
    return client


def test_every_admin_of_ours_writes_through_commands_or_not_at_all():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in OUR_APPS:
            assert isinstance(model_admin, CommandAdmin | ReadOnlyAdmin), model._meta.label


def test_nothing_is_deleted_in_the_admin(staff):
    made = data.one_of_each()
    for name in ("patient", "encounter", "diagnosis", "allergy", "invoice", "payer", "service", "drug", "lab_result"):
        obj = made[name]
        url = f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/delete/"
        assert staff.post(url, {"post": "yes"}).status_code == 403, name
        assert type(obj).objects.filter(pk=obj.pk).exists(), name


def test_payer_and_service_changes_go_through_commands(staff):
    payer, service = PayerFactory(name="Acme Health"), ServiceFactory(code="XR1", price=Decimal("10.00"))
    staff.post(
        f"/admin/billing/payer/{payer.pk}/change/",
        {"name": "  Acme Health Plus ", "kind": payer.kind, "payment_terms_days": "45"},
    )
    payer.refresh_from_db()
    assert (payer.name, payer.payment_terms_days, payer.active) == ("Acme Health Plus", 45, False)
    form = {"name": " X-ray, chest ", "department": service.department_id, "price": "12.50", "active": "on"}
    staff.post(f"/admin/billing/service/{service.pk}/change/", form)
    service.refresh_from_db()
    assert (service.name, service.price) == ("X-ray, chest", Decimal("12.50"))


def test_a_new_payer_and_department_come_from_their_commands(staff):
    staff.post("/admin/billing/payer/add/", {"name": " Mutual ", "kind": "insurer", "payment_terms_days": "30"})
    assert Payer.objects.filter(name="Mutual").exists()
    staff.post("/admin/clinical/department/add/", {"code": "card", "name": "Cardiology"})
    assert Department.objects.filter(code="CARD").exists()


def test_a_corrected_diagnosis_code_brings_its_description(staff):
    encounter = EncounterFactory()
    diagnosis = clinical.diagnosis_record(encounter_id=encounter.pk, code="I10")
    staff.post(f"/admin/clinical/diagnosis/{diagnosis.pk}/change/", {"code": "E11.9"})
    diagnosis.refresh_from_db()
    assert diagnosis.code_id == "E11.9" and diagnosis.description.startswith("Type 2 diabetes")


def test_an_encounter_keeps_its_patient_when_corrected(staff):
    encounter, other = EncounterFactory(), PatientFactory()
    new_department = DepartmentFactory()
    form = {
        "patient": other.pk,
        "type": encounter.type,
        "department": new_department.pk,
        "attending": encounter.attending_id,
        "reason": "follow-up",
        **{f"{p}-{k}": "0" for p in ("diagnoses", "vitals") for k in ("TOTAL_FORMS", "INITIAL_FORMS")},
    }
    staff.post(f"/admin/clinical/encounter/{encounter.pk}/change/", form)
    encounter.refresh_from_db()
    assert encounter.patient_id != other.pk
    assert (encounter.department_id, encounter.reason) == (new_department.pk, "follow-up")


def test_drug_changes_go_through_the_command(staff):
    drug = data.one_of_each()["drug"]
    form = {
        "generic_name": drug.generic_name,
        "form": drug.form,
        "strength": drug.strength,
        "unit": drug.unit,
        "unit_price": "0.15",
        "reorder_level": "5",
        "ingredients": "Paracetamol,Codeine",
    }
    staff.post(f"/admin/pharmacy/drug/{drug.pk}/change/", form)
    drug = Drug.objects.get(pk=drug.pk)
    # the command keeps ingredients lower case and sorted (the allergy check compares them)
    assert (drug.unit_price, drug.ingredients, drug.active) == (Decimal("0.15"), ["codeine", "paracetamol"], False)


@pytest.mark.parametrize("role", ["front_desk", "nurse", "report_viewer"])
def test_a_role_that_only_views_invoices_cannot_run_their_actions(client, role):
    invoice = billing.invoice_create(
        patient_id=PatientFactory().pk, payer_id=PayerFactory().pk, lines=[{"service": ServiceFactory().pk}]
    )
    billing.invoice_issue(invoice_id=invoice.pk)
    as_role(client, role)
    post = {"action": "void_invoices", "_selected_action": [invoice.pk], "index": "0", "apply": "1", "reason": "x"}
    client.post("/admin/billing/invoice/", post)
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.ISSUED


def test_a_nurse_cannot_close_encounters_or_dispense_in_the_admin(client):
    made = data.one_of_each()
    as_role(client, "nurse")
    client.post(
        "/admin/clinical/encounter/", {"action": "close_encounters", "_selected_action": [made["encounter"].pk]}
    )
    assert Encounter.objects.get(pk=made["encounter"].pk).status == Encounter.Status.OPEN
    prescription = made["prescription"]
    dispensed = prescription.dispenses.count()
    post = {"action": "dispense", "_selected_action": [prescription.pk], "apply": "1", "quantity": "1"}
    client.post("/admin/pharmacy/prescription/", post)
    assert prescription.dispenses.count() == dispensed


def test_issue_and_void_record_who_did_them(staff):
    clerk = UserFactory()
    invoice = billing.invoice_create(
        patient_id=PatientFactory().pk, payer_id=PayerFactory().pk, lines=[{"service": ServiceFactory().pk}]
    )
    billing.invoice_issue(invoice_id=invoice.pk, issued_by=clerk)
    billing.invoice_void(invoice_id=invoice.pk, reason="Duplicate", voided_by=clerk)
    invoice.refresh_from_db()
    assert invoice.issued_by == clerk and invoice.voided_by == clerk


def test_a_revoked_api_key_stops_working_and_the_client_stays_on_record(staff, settings):
    settings.USER_CACHE_SECONDS = 0
    out = __import__("io").StringIO()
    call_command("create_api_client", "lab-system", roles=["clinician"], stdout=out)
    key = out.getvalue().strip().splitlines()[-1].split("Api-Key ")[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get("/api/v1/patients/").status_code == 200

    call_command("revoke_api_client", "lab-system", stdout=out)

    assert api.get("/api/v1/patients/").status_code == 401
    client = ApiClient.objects.get(name="lab-system")
    assert not client.active and client.revoked_at is not None and not client.user.is_active


def test_an_admin_revokes_an_api_client_with_the_action(staff):
    client = data.one_of_each()["api_client"]
    staff.post("/admin/hmis/apiclient/", {"action": "revoke", "_selected_action": [client.pk]})
    client.refresh_from_db()
    assert not client.active and client.revoked_by is not None


def test_diagnoses_on_record_are_not_changed_from_the_encounter_page(staff):
    encounter = EncounterFactory()
    diagnosis = clinical.diagnosis_record(encounter_id=encounter.pk, code="I10")
    form = {
        "type": encounter.type,
        "department": encounter.department_id,
        "attending": encounter.attending_id,
        "reason": "",
        "diagnoses-TOTAL_FORMS": "1",
        "diagnoses-INITIAL_FORMS": "1",
        "diagnoses-0-id": diagnosis.pk,
        "diagnoses-0-encounter": encounter.pk,
        "diagnoses-0-code": "E11.9",
        "vitals-TOTAL_FORMS": "0",
        "vitals-INITIAL_FORMS": "0",
    }
    staff.post(f"/admin/clinical/encounter/{encounter.pk}/change/", form)
    assert Diagnosis.objects.get(pk=diagnosis.pk).code_id == "I10"
    assert Service.objects.count() == 0
