"""What is known about allergies reaches the prescriber: "not yet asked" warns, "no known drug allergies"
does not, a refuted allergy stops warning."""

import pytest
from django.utils import timezone

from clinical import commands, queries
from clinical.models import Allergy
from pharmacy import commands as pharmacy
from pharmacy import safety
from tests.support.factories.clinical import PatientFactory

pytestmark = pytest.mark.django_db


def _paracetamol():
    from decimal import Decimal

    return pharmacy.drug_create(
        code="PARA",
        generic_name="Paracetamol",
        form="tablet",
        strength="500 mg",
        unit="tablet",
        unit_price=Decimal("0.05"),
        ingredients=["acetaminophen"],
    )


def _rules(patient, drug) -> dict[str, str]:
    found = safety.for_new_order(
        patient_id=patient.pk, drug_id=drug.pk, duration_days=3, at=timezone.now(), using="default"
    )
    return {f.rule: f.action for f in found}


def test_no_known_drug_allergies_is_not_the_same_as_not_yet_asked():
    patient, drug = PatientFactory(), _paracetamol()
    assert drug.ingredients == ["paracetamol"]
    assert queries.allergy_status(patient_id=patient.pk)["state"] == "not_asked"
    assert _rules(patient, drug) == {"allergy_unknown": "warn"}  # nobody has asked: the prescriber is told

    commands.allergy_statement_record(patient_id=patient.pk, kind="nkda")
    status = queries.allergy_status(patient_id=patient.pk)
    assert (status["state"], status["label"]) == ("nkda", "No known drug allergies")
    assert _rules(patient, drug) == {}  # asked, none: nothing to say


def test_a_refuted_allergy_no_longer_warns_but_stays_on_record():
    patient, drug = PatientFactory(), _paracetamol()
    allergy = commands.allergy_record(patient_id=patient.pk, allergen="drug:paracetamol", severity="mild")
    assert _rules(patient, drug) == {"allergy_drug": "block"}
    commands.allergy_update(allergy_id=allergy.pk, verification="confirmed")
    assert _rules(patient, drug) == {"allergy_drug": "block"}
    commands.allergy_update(allergy_id=allergy.pk, verification="refuted")
    assert _rules(patient, drug) == {"allergy_unknown": "warn"}  # nothing else on record, nobody asked
    assert Allergy.objects.get(pk=allergy.pk).verification == "refuted"
