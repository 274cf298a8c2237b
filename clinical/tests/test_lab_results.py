"""Lab results: the curated LOINC list, the command's rules and flags, the API."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from clinical import commands, lab_tests
from clinical.models import LabResult
from core.errors import Conflict, InvalidInput
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db
POTASSIUM, HBA1C, LDL_DIRECT, EGFR = "2823-3", "4548-4", "18262-6", "62238-1"


def loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit (the Luhn scheme), computed from the digits before the dash."""
    total = 0
    for position, digit in enumerate(reversed(number), start=1):
        value = int(digit) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def test_every_listed_code_is_a_well_formed_loinc_code_with_a_consistent_range():
    assert loinc_check_digit("12345") == 5  # the worked example in the LOINC users' guide
    for code, test in lab_tests.LAB_TESTS.items():
        assert re.fullmatch(r"\d{1,7}-\d", code), code
        number, check = code.split("-")
        assert loinc_check_digit(number) == int(check), code
        assert test.low is None or test.high is None or test.low < test.high, code
        assert test.critical_low is None or test.low is None or test.critical_low < test.low, code
        assert test.critical_high is None or test.high is None or test.critical_high > test.high, code
        assert test.plausible[0] < test.plausible[1], code
    for needed in ("4548-4", "13457-7", "18262-6", "2160-0", "33914-3", "62238-1", "2823-3", "718-7", "2345-7"):
        assert needed in lab_tests.LAB_TESTS


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("2.5", "critical_low"),
        ("3.0", "low"),
        ("3.5", "normal"),  # the range's limits are normal
        ("5.1", "normal"),
        ("5.5", "high"),
        ("6.8", "critical_high"),
    ],
)
def test_a_potassium_is_flagged_against_its_range_and_critical_limits(value, flag):
    result = commands.lab_result_record(encounter_id=EncounterFactory().pk, test=POTASSIUM, value=Decimal(value))
    assert result.flag == flag
    assert (result.unit, result.reference_low, result.reference_high) == ("mmol/L", Decimal("3.5"), Decimal("5.1"))
    assert result.test_name == "Potassium" and result.patient_id == result.encounter.patient_id


def test_a_laboratorys_own_range_replaces_the_default_and_open_ended_ranges_work():
    encounter = EncounterFactory()
    own = commands.lab_result_record(
        encounter_id=encounter.pk,
        test=POTASSIUM,
        value=Decimal("5.3"),
        reference_low=Decimal("3.6"),
        reference_high=Decimal("5.4"),
    )
    assert own.flag == "normal"
    low_egfr = commands.lab_result_record(encounter_id=encounter.pk, test=EGFR, value=Decimal("42"))
    assert low_egfr.flag == "low" and low_egfr.reference_text == "≥ 60"
    ldl = commands.lab_result_record(encounter_id=encounter.pk, test=LDL_DIRECT, value=Decimal("160"), unit="MG/DL")
    assert ldl.flag == "high" and ldl.unit == "mg/dL" and ldl.reference_text == "≤ 99"


def test_a_result_in_another_unit_or_out_of_plausible_range_is_rejected_and_nothing_is_written():
    encounter = EncounterFactory()
    with pytest.raises(InvalidInput) as caught:
        commands.lab_result_record(encounter_id=encounter.pk, test=HBA1C, value=Decimal("53"), unit="mmol/mol")
    assert caught.value.errors["unit"] == ["HbA1c is recorded in %; convert the result before recording it."]
    assert "value" in caught.value.errors  # 53 % is not an HbA1c either
    with pytest.raises(InvalidInput) as caught:
        commands.lab_result_record(encounter_id=encounter.pk, test=POTASSIUM, value=Decimal("45"))
    assert list(caught.value.errors) == ["value"]
    with pytest.raises(InvalidInput) as caught:
        commands.lab_result_record(encounter_id=encounter.pk, test="1234-5", value=Decimal("1"))
    assert list(caught.value.errors) == ["test"]
    with pytest.raises(InvalidInput) as caught:
        commands.lab_result_record(
            encounter_id=encounter.pk,
            test=POTASSIUM,
            value=Decimal("4"),
            resulted_at=timezone.now() + datetime.timedelta(hours=1),
            reference_low=Decimal("5"),
            reference_high=Decimal("4"),
        )
    assert set(caught.value.errors) == {"resulted_at", "reference_low"}
    assert not LabResult.objects.exists()


def test_results_go_on_open_or_recently_closed_encounters_only():
    now = timezone.now()
    recent = commands.encounter_start(
        patient_id=PatientFactory().pk,
        type="inpatient",
        department_id=EncounterFactory().department_id,
        attending_id=UserFactory(roles=["clinician"]).pk,
        started_at=now - datetime.timedelta(days=3),
    )
    commands.encounter_close(encounter_id=recent.pk, ended_at=now - datetime.timedelta(days=1))
    late = commands.lab_result_record(encounter_id=recent.pk, test=POTASSIUM, value=Decimal("4.0"))
    assert late.pk

    old = EncounterFactory(started_at=now - datetime.timedelta(days=90))
    commands.encounter_close(encounter_id=old.pk, ended_at=now - datetime.timedelta(days=60))
    with pytest.raises(Conflict) as caught:
        commands.lab_result_record(encounter_id=old.pk, test=POTASSIUM, value=Decimal("4.0"))
    assert "encounter" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        commands.lab_result_record(encounter_id=999999, test=POTASSIUM, value=Decimal("4.0"))
    assert "encounter" in caught.value.errors
    with pytest.raises(InvalidInput) as caught:
        commands.lab_result_record(
            encounter_id=recent.pk, test=POTASSIUM, value=Decimal("4.0"), resulted_at=now - datetime.timedelta(days=5)
        )
    assert caught.value.errors == {"resulted_at": ["A result cannot be reported before its encounter started."]}
    assert LabResult.objects.count() == 1


def test_the_api_records_and_lists_results_filtered_by_patient_encounter_and_test(client):
    client.force_login(UserFactory(username="drlab", roles=["clinician"]))
    first, second = EncounterFactory(), EncounterFactory()
    created = client.post(
        "/api/v1/lab-results/",
        {"encounter": first.pk, "test": POTASSIUM, "value": "6.9"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["test"], body["test_name"], body["flag"], body["unit"]) == (
        "2823-3",
        "Potassium",
        "critical_high",
        "mmol/L",
    )
    assert body["patient"] == first.patient_id and body["value"] == "6.900"
    for encounter, test, value in ((first, HBA1C, "6.4"), (second, HBA1C, "8.1")):
        response = client.post(
            "/api/v1/lab-results/",
            {"encounter": encounter.pk, "test": test, "value": value},
            content_type="application/json",
        )
        assert response.status_code == 201
    by_patient = client.get("/api/v1/lab-results/", {"patient": first.patient_id}).json()["results"]
    assert sorted(r["test"] for r in by_patient) == ["2823-3", "4548-4"]
    by_test = client.get("/api/v1/lab-results/", {"test": HBA1C}).json()["results"]
    assert sorted(r["value"] for r in by_test) == ["6.400", "8.100"]
    by_encounter = client.get("/api/v1/lab-results/", {"encounter": second.pk, "test": HBA1C}).json()["results"]
    assert [r["value"] for r in by_encounter] == ["8.100"]


def test_bad_api_input_is_a_400_per_field_and_other_roles_may_not_record(client):
    client.force_login(UserFactory(username="drlab2", roles=["clinician"]))
    encounter = EncounterFactory()
    response = client.post(
        "/api/v1/lab-results/",
        {"encounter": encounter.pk, "test": POTASSIUM, "value": "4.1", "unit": "mg/dL"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"unit": ["Potassium is recorded in mmol/L; convert the result before recording it."]}
    }
    response = client.post(
        "/api/v1/lab-results/", {"encounter": encounter.pk, "test": POTASSIUM}, content_type="application/json"
    )
    assert response.status_code == 400 and "value" in response.json()["errors"]
    assert not LabResult.objects.exists()
    client.force_login(UserFactory(username="clerk", roles=["billing_clerk"]))
    response = client.post(
        "/api/v1/lab-results/",
        {"encounter": encounter.pk, "test": POTASSIUM, "value": "4.1"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert client.get("/api/v1/lab-results/").status_code == 403
