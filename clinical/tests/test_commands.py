import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinical import commands, queries
from clinical.models import Diagnosis, Encounter, Patient, Vitals
from core.errors import Conflict, InvalidInput, NotFound
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_registration_generates_a_unique_mrn_when_none_is_given():
    first = commands.patient_register(
        given_name=" Ada ", family_name="Lovelace", date_of_birth=datetime.date(1990, 1, 1)
    )
    second = commands.patient_register(given_name="Alan", family_name="Turing", date_of_birth=datetime.date(1990, 1, 1))
    assert first.mrn.startswith("MRN") and second.mrn.startswith("MRN") and first.mrn != second.mrn
    assert first.given_name == "Ada"


def test_date_of_birth_in_the_future_is_rejected_and_nothing_is_written():
    with pytest.raises(InvalidInput) as caught:
        commands.patient_register(
            given_name="Ada", family_name="Future", date_of_birth=timezone.localdate() + datetime.timedelta(days=1)
        )
    assert "date_of_birth" in caught.value.errors
    assert not Patient.objects.filter(family_name="Future").exists()


def test_a_duplicate_mrn_is_rejected():
    PatientFactory(mrn="ABC123")
    with pytest.raises(InvalidInput) as caught:
        commands.patient_register(
            mrn="abc123", given_name="A", family_name="B", date_of_birth=datetime.date(1990, 1, 1)
        )
    assert "mrn" in caught.value.errors


def test_patient_update_changes_only_demographics():
    patient = PatientFactory(phone="1")
    commands.patient_update(patient_id=patient.pk, phone="555-0100")
    patient.refresh_from_db()
    assert patient.phone == "555-0100"
    with pytest.raises(InvalidInput) as caught:
        commands.patient_update(patient_id=patient.pk, mrn="X")
    assert caught.value.errors == {"mrn": ["This field cannot be changed."]}


def test_search_by_name_words_or_mrn():
    PatientFactory(given_name="Amara", family_name="Okafor", mrn="MRN00000042")
    PatientFactory(given_name="Jonas", family_name="Lindqvist")
    assert [p.family_name for p in queries.patient_search(q="okaf")] == ["Okafor"]
    assert [p.family_name for p in queries.patient_search(q="amara okafor")] == ["Okafor"]
    assert [p.family_name for p in queries.patient_search(q="mrn00000042")] == ["Okafor"]
    assert list(queries.patient_search(q="amara lindqvist")) == []


def test_encounter_opens_and_closes_once():
    encounter = commands.encounter_start(
        patient_id=PatientFactory().pk,
        type="outpatient",
        department_id=DepartmentFactory().pk,
        attending_id=UserFactory(roles=["clinician"]).pk,
    )
    assert encounter.status == Encounter.Status.OPEN
    closed = commands.encounter_close(encounter_id=encounter.pk)
    assert closed.status == Encounter.Status.CLOSED and closed.ended_at >= closed.started_at
    with pytest.raises(Conflict):
        commands.encounter_close(encounter_id=encounter.pk)


def test_encounter_with_unknown_references_names_the_fields():
    with pytest.raises(InvalidInput) as caught:
        commands.encounter_start(
            patient_id=999999, type="outpatient", department_id=DepartmentFactory().pk, attending_id=1
        )
    assert "patient" in caught.value.errors
    with pytest.raises(NotFound):
        commands.encounter_close(encounter_id=999999)


def test_diagnosis_code_is_validated_against_icd10cm_and_described_from_it():
    encounter = EncounterFactory()
    diagnosis = commands.diagnosis_record(encounter_id=encounter.pk, code="e119", is_primary=True)
    assert diagnosis.code_id == "E11.9"
    assert diagnosis.description == "Type 2 diabetes mellitus without complications"
    with pytest.raises(InvalidInput) as caught:
        commands.diagnosis_record(encounter_id=encounter.pk, code="XYZ.99")
    assert "code" in caught.value.errors


def test_at_most_one_primary_diagnosis_per_encounter():
    encounter = EncounterFactory()
    commands.diagnosis_record(encounter_id=encounter.pk, code="I10", is_primary=True)
    with pytest.raises(Conflict):
        commands.diagnosis_record(encounter_id=encounter.pk, code="E11.9", is_primary=True)
    commands.diagnosis_record(encounter_id=encounter.pk, code="E11.9", is_primary=False)
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Diagnosis.objects.create(encounter=encounter, code_id="J45.909", description="x", is_primary=True)


def test_nothing_is_recorded_on_a_closed_encounter():
    encounter = EncounterFactory()
    commands.encounter_close(encounter_id=encounter.pk)
    with pytest.raises(Conflict):
        commands.diagnosis_record(encounter_id=encounter.pk, code="I10")
    with pytest.raises(Conflict):
        commands.vitals_record(encounter_id=encounter.pk, pulse=80)


def test_allergy_is_recorded_once_per_allergen_or_free_text_whatever_the_case():
    patient = PatientFactory()
    commands.allergy_record(patient_id=patient.pk, substance="Penicillin", severity="severe", reaction="rash")
    with pytest.raises(Conflict) as caught:
        commands.allergy_record(patient_id=patient.pk, allergen="class:penicillins", severity="mild")
    assert "allergen" in caught.value.errors
    commands.allergy_record(patient_id=patient.pk, substance="Bactrim?", severity="mild")
    with pytest.raises(InvalidInput) as caught:
        commands.allergy_record(patient_id=patient.pk, substance="BACTRIM?", severity="mild")
    assert caught.value.errors


@pytest.mark.parametrize(
    ("field", "value"),
    [("pulse", 400), ("spo2", 101), ("temperature", Decimal("47.0")), ("systolic", 20), ("weight", Decimal("0"))],
)
def test_vitals_outside_physiological_ranges_are_rejected(field, value):
    encounter = EncounterFactory()
    with pytest.raises(InvalidInput) as caught:
        commands.vitals_record(encounter_id=encounter.pk, **{field: value})
    assert field in caught.value.errors
    assert not Vitals.objects.exists()


def test_vitals_need_systolic_above_diastolic_and_at_least_one_value():
    encounter = EncounterFactory()
    with pytest.raises(InvalidInput) as caught:
        commands.vitals_record(encounter_id=encounter.pk, systolic=80, diastolic=90)
    assert "diastolic" in caught.value.errors
    with pytest.raises(InvalidInput):
        commands.vitals_record(encounter_id=encounter.pk)
    vitals = commands.vitals_record(
        encounter_id=encounter.pk, pulse=72, systolic=120, diastolic=80, temperature=Decimal("36.8"), spo2=98
    )
    assert vitals.pk


def test_vitals_range_is_a_database_constraint_too():
    encounter = EncounterFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Vitals.objects.create(encounter=encounter, pulse=900)
