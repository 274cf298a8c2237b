"""The curated lists agree with each other, and the reference tables the rules read are exactly them."""

import re

import pytest
from django.db import connection

from clinical import allergens
from pharmacy.safety import classes, engine, renal, tables


def test_every_class_an_allergen_names_exists_and_every_class_member_can_be_recorded_as_an_allergen():
    for allergen in allergens.ALLERGENS.values():
        if allergen.drug_class:
            assert allergen.drug_class in classes.BY_CODE, allergen.code
    ingredients = {a.ingredient for a in allergens.INGREDIENTS}
    for drug_class in classes.CLASSES:
        missing = set(drug_class.ingredients) - ingredients
        assert not missing, f"{drug_class.code}: {missing} cannot be recorded as allergies"
    required = {
        "penicillins", "cephalosporins", "carbapenems", "sulfonamide-antibiotics", "macrolides", "fluoroquinolones",
        "tetracyclines", "nsaids", "opioids", "ace-inhibitors", "statins", "anticoagulants", "benzodiazepines",
        "iodinated-contrast",
    }  # fmt: skip
    assert required <= set(classes.BY_CODE)  # the list
    assert "aspirin" in classes.BY_CODE["nsaids"].ingredients


def test_codes_are_well_formed_and_unique():
    assert len(allergens.ALLERGENS) == len(allergens.CLASSES) + len(allergens.INGREDIENTS) + len(allergens.NON_DRUG)
    for allergen in allergens.ALLERGENS.values():
        assert re.fullmatch(r"(class|drug|food|env):[a-z0-9-]+", allergen.code), allergen.code
        assert allergen.category in {c for c, _ in allergens.CATEGORIES}
        if allergen.atc and not allergen.drug_class:
            assert re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d", allergen.atc), (allergen.code, allergen.atc)
    for synonym, code in allergens.SYNONYMS.items():
        assert code in allergens.ALLERGENS, synonym
    for synonym, ingredient in classes.SYNONYMS.items():
        assert synonym != ingredient and ingredient == ingredient.lower()


def test_cross_sensitivities_warn_and_never_block():
    for link in classes.CROSS_SENSITIVITIES:
        assert link.allergy in classes.BY_CODE and link.drug in classes.BY_CODE
    matches = {(code, ingredient): action for code, ingredient, action, _ in engine.allergen_matches()}
    assert matches[("class:penicillins", "cefalexin")] == "warn"
    assert matches[("class:penicillins", "meropenem")] == "warn"
    assert matches[("class:penicillins", "amoxicillin")] == "block"
    assert matches[("drug:aspirin", "ibuprofen")] == "block"  # NSAID hypersensitivity is a class effect
    assert matches[("drug:morphine", "codeine")] == "warn"  # opioids may cross-react, not reliably
    assert ("drug:warfarin", "apixaban") not in matches  # a pharmacological class, not an immunological one
    assert ("class:sulfonamide-antibiotics", "trimethoprim") not in matches


def test_renal_rules_leave_low_dose_aspirin_alone():
    ingredients = {i for rule in renal.RENAL_RULES for i in rule.ingredients}
    assert "aspirin" not in ingredients and {"metformin", "ibuprofen"} <= ingredients
    assert {rule.action for rule in renal.RENAL_RULES} == {"block", "warn"}


def test_the_engine_sql_has_no_literal_per_cent_sign():
    for sql in (engine.NEW_ORDER_SQL, engine.PRESCRIBED_SQL):
        assert "%" not in re.sub(r"%\(\w+\)s", "", sql)


@pytest.mark.django_db
def test_the_reference_tables_hold_the_lists_and_a_second_sync_changes_nothing():
    assert tables.sync() == []  # the test database was migrated, so synced, already
    with connection.cursor() as cursor:
        for table, (columns, rows) in tables.TABLES.items():
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
            assert sorted(cursor.fetchall()) == sorted(rows()), table
        cursor.execute("DELETE FROM pharmacy_renal_rule WHERE ingredient = 'metformin'")
    assert tables.sync() == ["pharmacy_renal_rule"]  # a drifted table is rewritten
    assert tables.sync() == []
