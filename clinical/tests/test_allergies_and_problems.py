"""Coded allergies, what is known about them ("no known drug allergies" is not "not yet asked"), the
migration of the free-text rows recorded before coding, and the problem list."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from clinical import commands, queries
from clinical.models import Allergy, AllergyStatement, Condition, Diagnosis
from core.errors import Conflict, InvalidInput
from tests.support.factories.clinical import EncounterFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_text_naming_a_listed_allergen_is_coded_and_other_text_is_kept_uncoded():
    patient = PatientFactory()
    sulfa = commands.allergy_record(patient_id=patient.pk, substance="  SULFA ", severity="severe")
    assert (sulfa.allergen_code, sulfa.substance, sulfa.category) == (
        "class:sulfonamide-antibiotics",
        "Sulfonamide antibiotics (sulfa)",
        "drug",
    )
    bactrim = commands.allergy_record(patient_id=patient.pk, substance="Bactrim?", severity="mild")
    assert (bactrim.allergen_code, bactrim.substance, bactrim.coded) == ("", "Bactrim?", False)
    assert bactrim.category == "drug"
    peanut = commands.allergy_record(patient_id=patient.pk, allergen="food:peanut", severity="severe")
    assert (peanut.substance, peanut.category, peanut.verification) == ("Peanut", "food", "unconfirmed")
    with pytest.raises(InvalidInput) as caught:
        commands.allergy_record(patient_id=patient.pk, allergen="drug:unobtainium", severity="mild")
    assert "allergen" in caught.value.errors
    with pytest.raises(InvalidInput):
        commands.allergy_record(patient_id=patient.pk, severity="mild")
    with pytest.raises(InvalidInput) as caught:
        commands.allergy_record(
            patient_id=patient.pk,
            allergen="env:latex",
            severity="mild",
            onset=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "onset" in caught.value.errors
    assert Allergy.objects.filter(patient=patient).count() == 3


def test_a_drug_allergy_withdraws_nkda_and_nkda_is_refused_while_one_is_on_record():
    patient = PatientFactory()
    statement = commands.allergy_statement_record(patient_id=patient.pk, kind="nkda")
    commands.allergy_record(patient_id=patient.pk, allergen="env:latex", severity="mild")
    statement.refresh_from_db()
    assert statement.withdrawn_at is None  # latex is not a drug: "no known drug allergies" still holds

    allergy = commands.allergy_record(patient_id=patient.pk, allergen="class:penicillins", severity="severe")
    statement.refresh_from_db()
    assert statement.withdrawn_at is not None and "Penicillins" in statement.withdrawn_because
    assert queries.allergy_status(patient_id=patient.pk)["state"] == "recorded"
    with pytest.raises(Conflict) as caught:
        commands.allergy_statement_record(patient_id=patient.pk, kind="nkda")
    assert "Penicillins" in caught.value.errors["kind"][0]
    assert AllergyStatement.objects.filter(patient=patient, withdrawn_at__isnull=True).count() == 0

    # Tested and refuted: the statement may be made again.
    commands.allergy_update(allergy_id=allergy.pk, verification="refuted")
    commands.allergy_statement_record(patient_id=patient.pk, kind="nkda")
    assert AllergyStatement.objects.filter(patient=patient, withdrawn_at__isnull=True).count() == 1


def test_no_known_allergies_becomes_no_known_drug_allergies_when_a_food_allergy_is_recorded():
    patient = PatientFactory()
    commands.allergy_statement_record(patient_id=patient.pk, kind="nka")
    commands.allergy_record(patient_id=patient.pk, allergen="food:shellfish", severity="moderate")
    current = AllergyStatement.objects.get(patient=patient, withdrawn_at__isnull=True)
    assert current.kind == "nkda"
    assert AllergyStatement.objects.filter(patient=patient, kind="nka", withdrawn_at__isnull=False).exists()


def test_the_migration_codes_the_free_text_rows_it_recognises_and_keeps_the_rest_uncoded():
    patient, other = PatientFactory(), PatientFactory()
    # Rows as they were before coding: free text, no code.
    legacy = {
        text: Allergy.objects.create(patient=patient, substance=text, severity="severe", category="drug")
        for text in ("Penicillin", "  amoxycillin", "Bactrim?", "latex", "co-trimoxazole", "PENICILLINS ")
    }
    Allergy.objects.create(patient=other, substance="Aspirin", severity="mild", category="drug")
    migration = importlib.import_module("clinical.migrations.0007_code_allergies_start_problem_list")

    migration.code_allergies(apps, None)

    coded = {text: Allergy.objects.get(pk=row.pk) for text, row in legacy.items()}
    assert (coded["Penicillin"].allergen_code, coded["Penicillin"].substance) == ("class:penicillins", "Penicillins")
    assert (coded["  amoxycillin"].allergen_code, coded["  amoxycillin"].substance) == (
        "drug:amoxicillin",
        "Amoxicillin",
    )
    assert (coded["latex"].allergen_code, coded["latex"].category) == ("env:latex", "environment")
    assert coded["co-trimoxazole"].allergen_code == "drug:sulfamethoxazole"
    # Not on the list: kept as written, uncoded. A second row for one allergen: kept uncoded, not merged.
    assert (coded["Bactrim?"].allergen_code, coded["Bactrim?"].substance) == ("", "Bactrim?")
    assert (coded["PENICILLINS "].allergen_code, coded["PENICILLINS "].substance) == ("", "PENICILLINS ")
    assert Allergy.objects.get(patient=other).allergen_code == "drug:aspirin"
    assert all(a.verification == "unconfirmed" for a in coded.values())  # nobody verified them
    assert Allergy.objects.count() == 7  # nothing added, nothing removed


def test_the_migration_starts_the_problem_list_from_unresolved_diagnoses():
    patient = PatientFactory()
    first, second = EncounterFactory(patient=patient), EncounterFactory(patient=patient)
    for encounter, code in ((first, "I10"), (second, "I10"), (second, "E11.9")):
        Diagnosis.objects.create(encounter=encounter, code_id=code, description=code)
    Diagnosis.objects.create(encounter=second, code_id="J45.909", description="x", resolved_at=timezone.now())
    migration = importlib.import_module("clinical.migrations.0007_code_allergies_start_problem_list")

    with connection.cursor() as cursor:
        cursor.execute(migration.CONDITIONS_FROM_DIAGNOSES)

    problems = Condition.objects.filter(patient=patient)
    assert sorted(p.code_id for p in problems) == ["E11.9", "I10"]
    assert all(p.status == "active" and p.last_diagnosed_at for p in problems)


def test_a_category_is_refused_with_the_billable_codes_under_it():
    patient = PatientFactory()
    with pytest.raises(InvalidInput) as caught:
        commands.condition_record(patient_id=patient.pk, code="J18")
    message = caught.value.errors["code"][0]
    assert "J18 (Pneumonia, unspecified organism) is a category" in message and "J18.9" in message
    with pytest.raises(InvalidInput):
        commands.diagnosis_record(encounter_id=EncounterFactory(patient=patient).pk, code="J18")
    assert not Condition.objects.exists() and not Diagnosis.objects.exists()
    assert commands.condition_record(patient_id=patient.pk, code="j189").code_id == "J18.9"


def test_the_problem_list_keeps_one_i10_across_three_encounters_and_resolving_removes_it():
    patient = PatientFactory()
    encounters = [EncounterFactory(patient=patient) for _ in range(3)]
    for encounter in encounters:
        commands.diagnosis_record(encounter_id=encounter.pk, code="I10")
    assert Diagnosis.objects.filter(encounter__patient=patient).count() == 3
    (problem,) = queries.problem_list(patient_id=patient.pk)
    assert problem.code_id == "I10" and problem.last_diagnosed_at is not None
    with pytest.raises(Conflict):
        commands.condition_record(patient_id=patient.pk, code="I10")

    commands.condition_resolve(condition_id=problem.pk)
    assert list(queries.problem_list(patient_id=patient.pk)) == []
    problem.refresh_from_db()
    assert problem.status == "resolved" and problem.resolved_on == timezone.localdate()
    with pytest.raises(Conflict):
        commands.condition_resolve(condition_id=problem.pk)

    # It comes back: a new problem, the resolved one stays on record.
    commands.diagnosis_record(encounter_id=encounters[0].pk, code="I10")
    assert [p.status for p in Condition.objects.filter(patient=patient).order_by("id")] == ["resolved", "active"]
