"""Duplicate records: warned of at registration, merged by an admin in one transaction, undone the same day."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from billing import commands as billing
from billing.models import Invoice
from clinical import commands as clinical
from clinical.models import Allergy, Encounter, LabResult, Patient, PatientMerge
from core.audit.models import AuditEvent
from core.errors import Conflict
from pharmacy import commands as pharmacy
from pharmacy.models import Prescription
from reports.engine import refresh
from reports.projections.patient_view import VIEW
from reports.queries.patients import patient_search, patient_summary
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import DepartmentFactory, UserFactory
from tests.support.stack import on_stack, wait_replayed

pytestmark = on_stack

DANIEL = {"given_name": "Daniel", "family_name": "Cohen", "date_of_birth": "1980-03-04", "sex": "male"}


def test_registration_warns_of_possible_duplicates_and_registers_when_confirmed(api_as):
    desk = api_as("front_desk")
    first = desk.post("/api/v1/patients/", {**DANIEL, "phone": "+1 555 010 2233"}, format="json")
    assert first.status_code == 201

    again = desk.post("/api/v1/patients/", {**DANIEL, "given_name": "Danial"}, format="json")  # a typo
    assert again.status_code == 409
    body = again.json()
    assert "confirm_new" in body["errors"]
    [candidate] = body["candidates"]
    assert candidate["id"] == first.json()["id"] and candidate["reasons"] == ["same birth date and a similar name"]
    assert Patient.objects.count() == 1  # nothing written

    by_phone = desk.post(
        "/api/v1/patients/",
        {"given_name": "Ruth", "family_name": "Cohen", "date_of_birth": "2012-01-01", "phone": "555-010-2233"},
        format="json",
    )
    assert by_phone.status_code == 409 and by_phone.json()["candidates"][0]["reasons"] == ["same phone number"]

    other = desk.post("/api/v1/patients/", {**DANIEL, "date_of_birth": "1980-03-05"}, format="json")
    assert other.status_code == 201  # another birth date, another phone: no warning

    confirmed = desk.post("/api/v1/patients/", {**DANIEL, "confirm_new": True}, format="json")
    assert confirmed.status_code == 201 and Patient.objects.filter(family_name="Cohen").count() == 3


def _record(patient, doctor, department, *, allergen: str, service):
    """An encounter with a diagnosis, vitals, a prescription and a lab result; an allergy; an issued invoice
    with a payment."""
    encounter = clinical.encounter_start(
        patient_id=patient.pk, type="outpatient", department_id=department.pk, attending_id=doctor.pk
    )
    clinical.diagnosis_record(encounter_id=encounter.pk, code="I10", is_primary=True)
    clinical.vitals_record(encounter_id=encounter.pk, pulse=70)
    clinical.lab_result_record(encounter_id=encounter.pk, test="2823-3", value=Decimal("4.1"))
    clinical.allergy_record(patient_id=patient.pk, allergen=allergen, severity="moderate")
    drug = pharmacy.drug_create(
        code=f"D{patient.pk}", generic_name="Amlodipine", form="tablet", strength="5 mg", unit="tablet",
        unit_price=Decimal("0.10"), ingredients=["amlodipine"],
    )  # fmt: skip
    pharmacy.prescription_create(
        encounter_id=encounter.pk, drug_id=drug.pk, dose="1 tablet", frequency="daily", duration_days=30,
        quantity=30, prescriber=doctor,
    )  # fmt: skip
    invoice = billing.invoice_create(
        patient_id=patient.pk, payer_id=PayerFactory(name="Self", kind="self").pk, lines=[{"service": service.pk}]
    )
    billing.invoice_issue(invoice_id=invoice.pk)
    billing.payment_record(invoice_id=invoice.pk, amount=Decimal("30.00"), method="cash")
    return encounter, invoice


def _ar_outstanding() -> Decimal:
    return sum((i.total - i.amount_paid - i.amount_credited for i in Invoice.objects.using("default")), Decimal(0))


def test_a_merge_moves_the_whole_record_keeps_totals_and_can_be_undone_the_same_day(api_as):
    doctor = UserFactory(username="dr-merge", roles=["clinician"])
    department = DepartmentFactory(code="GEN", name="General")
    service = ServiceFactory(code="CONS", department=department)
    survivor = clinical.patient_register(**{**DANIEL, "date_of_birth": datetime.date(1980, 3, 4)})
    duplicate = clinical.patient_register(
        **{**DANIEL, "given_name": "Danny", "date_of_birth": datetime.date(1980, 3, 4)}
    )
    _record(survivor, doctor, department, allergen="class:penicillins", service=service)
    encounter, invoice = _record(duplicate, doctor, department, allergen="class:penicillins", service=service)
    clinical.allergy_record(patient_id=duplicate.pk, allergen="food:peanut", severity="severe")
    outstanding = _ar_outstanding()
    refresh.refresh("patient_view")

    desk, admin = api_as("front_desk"), api_as("admin")
    assert (
        desk.post(f"/api/v1/patients/{survivor.pk}/merge/", {"duplicate": duplicate.pk}, format="json").status_code
        == 403
    )
    self_merge = admin.post(f"/api/v1/patients/{survivor.pk}/merge/", {"duplicate": survivor.pk}, format="json")
    assert self_merge.status_code == 400 and "duplicate" in self_merge.json()["errors"]
    moved_before = AuditEvent.objects.using("default").filter(action="update").count()

    response = admin.post(
        f"/api/v1/patients/{survivor.pk}/merge/",
        {"duplicate": duplicate.pk, "reason": "registered twice"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    merge = response.json()
    # Everything moved but the penicillin allergy, which the survivor already had.
    assert Encounter.objects.using("default").get(pk=encounter.pk).patient_id == survivor.pk
    assert Invoice.objects.using("default").get(pk=invoice.pk).patient_id == survivor.pk
    assert LabResult.objects.using("default").filter(patient=survivor).count() == 2
    assert Prescription.objects.using("default").filter(encounter__patient=survivor).count() == 2
    assert set(Allergy.objects.using("default").filter(patient=survivor).values_list("allergen_code", flat=True)) == {
        "class:penicillins",
        "food:peanut",
    }
    assert [k["because"] for k in merge["kept"]["clinical.allergy"]] == ["one_allergy_per_substance"]
    assert Patient.objects.using("default").get(pk=duplicate.pk).merged_into_id == survivor.pk
    assert _ar_outstanding() == outstanding  # money does not move by a merge
    assert AuditEvent.objects.using("default").filter(action="update").count() > moved_before  # each move audited

    # The read side follows: the duplicate has no row of its own, its MRN finds the survivor.
    refresh.refresh("patient_view")
    wait_replayed()
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {VIEW.name} WHERE patient_id = %s", [duplicate.pk])
        assert cursor.fetchone()[0] == 0
    assert [r["id"] for r in patient_search(q=duplicate.mrn)[:5]] == [survivor.pk]
    summary = patient_summary(patient_id=survivor.pk)
    assert {a["allergen_code"] for a in summary["allergies"]} == {"class:penicillins", "food:peanut"}
    assert len(summary["recent_encounters"]) == 2 and summary["open_balance"] == Decimal("140.00")
    gone = admin.get(f"/api/v1/patients/{duplicate.pk}/summary/")
    assert gone.status_code == 404 and gone.json()["merged_into"] == survivor.pk
    again = admin.post(f"/api/v1/patients/{survivor.pk}/merge/", {"duplicate": duplicate.pk}, format="json")
    assert again.status_code == 409

    # Undone the same day: the rows that moved go back.
    undone = admin.post(f"/api/v1/patients/{duplicate.pk}/unmerge/")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert Encounter.objects.using("default").get(pk=encounter.pk).patient_id == duplicate.pk
    assert Invoice.objects.using("default").get(pk=invoice.pk).patient_id == duplicate.pk
    assert Allergy.objects.using("default").filter(patient=duplicate).count() == 2
    assert Patient.objects.using("default").get(pk=duplicate.pk).merged_into_id is None
    assert _ar_outstanding() == outstanding
    refresh.refresh("patient_view")
    wait_replayed()
    assert [r["id"] for r in patient_search(q=duplicate.mrn)[:5]] == [duplicate.pk]
    assert admin.post(f"/api/v1/patients/{duplicate.pk}/unmerge/").status_code == 404  # nothing left to undo


def test_a_merge_is_undone_only_the_same_day():
    survivor = clinical.patient_register(
        given_name="Ada", family_name="Byron", date_of_birth=datetime.date(1815, 12, 10)
    )
    duplicate = clinical.patient_register(
        given_name="Ada", family_name="Lovelace", date_of_birth=datetime.date(1815, 12, 10)
    )
    clinical.patient_merge(survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    PatientMerge.objects.using("default").update(merged_at=timezone.now() - datetime.timedelta(days=1))
    with pytest.raises(Conflict, match="only the same day"):
        clinical.patient_unmerge(duplicate_id=duplicate.pk)
    assert Patient.objects.using("default").get(pk=duplicate.pk).merged_into_id == survivor.pk


def test_the_registration_page_lists_the_candidates_and_registers_once_confirmed(client):
    from tests.support.stack import sign_in

    sign_in(client, UserFactory(username="desk-dup", roles=["front_desk"]))
    existing = clinical.patient_register(
        given_name="Grace", family_name="Mwangi", date_of_birth=datetime.date(1948, 5, 17)
    )
    form = {"given_name": "Grace", "family_name": "Mwangi", "date_of_birth": "1948-05-17", "sex": "female"}
    warned = client.post("/patients/new/", form)
    assert warned.status_code == 400
    page = warned.content.decode()
    assert "This person may be registered already" in page and f"/patients/{existing.pk}/" in page
    assert 'type="checkbox" name="confirm_new"' in page
    assert Patient.objects.using("default").count() == 1
    done = client.post("/patients/new/", {**form, "confirm_new": "on"})
    assert done.status_code == 302 and Patient.objects.using("default").count() == 2


def test_details_are_corrected_on_a_page_through_the_command(client):
    from tests.support.stack import sign_in

    doctor = UserFactory(username="dr-pcp", first_name="Jane", last_name="Goodall", roles=["clinician"])
    sign_in(client, UserFactory(username="desk-details", roles=["front_desk"]))
    patient = clinical.patient_register(
        given_name="Grace", family_name="Mwangi", date_of_birth=datetime.date(1948, 5, 17)
    )
    assert client.get(f"/patients/{patient.pk}/details/").status_code == 200
    base = {"given_name": "Grace", "family_name": "Mwangi", "date_of_birth": "1948-05-17", "sex": "unknown"}
    bad = client.post(f"/patients/{patient.pk}/details/", {**base, "country": "K1"})
    assert bad.status_code == 400 and "Enter a two-letter ISO 3166 country code" in bad.content.decode()
    saved = client.post(
        f"/patients/{patient.pk}/details/",
        {**base, "address_line1": "4 Moi Avenue", "city": "Nairobi", "postal_code": "00100", "country": "ke",
         "primary_care_provider_id": doctor.pk, "preferred_language": "SW"},
    )  # fmt: skip
    assert saved.status_code == 302
    patient.refresh_from_db(using="default")
    assert (patient.city, patient.country, patient.preferred_language, patient.primary_care_provider_id) == (
        "Nairobi", "KE", "sw", doctor.pk,
    )  # fmt: skip
    changes = AuditEvent.objects.using("default").filter(
        model="clinical.patient", object_id=str(patient.pk), action="update"
    )
    assert changes.exists()


def test_a_merge_moves_an_admission_with_its_beds_and_refuses_two_overlapping_stays():
    from inpatient import commands as inpatient
    from inpatient.models import Admission, BedAssignment
    from tests.support.factories.inpatient import inpatient_encounter, ward

    w = ward(beds=2)
    beds = list(w.beds.order_by("label"))
    survivor = clinical.patient_register(given_name="Ann", family_name="Lee", date_of_birth=datetime.date(1950, 1, 1))
    duplicate = clinical.patient_register(given_name="Anne", family_name="Lee", date_of_birth=datetime.date(1950, 1, 1))
    stay = inpatient.admission_admit(encounter_id=inpatient_encounter(patient=duplicate).pk, bed_id=beds[0].pk)
    merge = clinical.patient_merge(survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    assert Admission.objects.using("default").get(pk=stay.pk).patient_id == survivor.pk
    assert set(BedAssignment.objects.using("default").filter(admission=stay).values_list("patient_id", flat=True)) == {
        survivor.pk
    }
    clinical.patient_unmerge(duplicate_id=duplicate.pk)
    assert Admission.objects.using("default").get(pk=stay.pk).patient_id == duplicate.pk
    assert merge.moved["inpatient.admission"]["ids"] == [stay.pk]

    # Both in hospital at once: one person cannot hold two stays, so the records are not merged at all.
    inpatient.admission_admit(encounter_id=inpatient_encounter(patient=survivor).pk, bed_id=beds[1].pk)
    with pytest.raises(Conflict, match="nothing was merged"):
        clinical.patient_merge(survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    assert Admission.objects.using("default").get(pk=stay.pk).patient_id == duplicate.pk
    assert Patient.objects.using("default").get(pk=duplicate.pk).merged_into_id is None
