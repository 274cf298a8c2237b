"""FHIR create through the commands: what a lab system, a device or another record sends lands as our rows,
shows in alerts and searches; bad resources answer 400 OperationOutcomes naming the element, and nothing
is written; If-None-Exist and Idempotency-Key make retries safe."""

import datetime as dt
from decimal import Decimal

import pytest
from fhir.resources import construct_fhir_element

from clinical.models import Allergy, AllergyStatement, Condition, LabResult, Patient, Vitals
from reports import queries
from reports.engine import refresh
from tests.support.factories.clinical import EncounterFactory, PatientFactory
from tests.support.stack import on_stack, wait_replayed

pytestmark = pytest.mark.django_db(databases="__all__")
FHIR = "/fhir/R4"


def potassium(encounter, value=6.9, unit="mmol/L", **extra) -> dict:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
        "subject": {"reference": f"Patient/{encounter.patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter.pk}"},
        "effectiveDateTime": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).replace(microsecond=0).isoformat(),
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
        **extra,
    }
    construct_fhir_element("Observation", resource)  # what we send is valid R4 itself
    return resource


def visit(**fields):
    """An encounter that started an hour ago (results are reported after it started, and before now)."""
    return EncounterFactory(started_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), **fields)


def post(client, resource_type: str, resource: dict, **headers):
    return client.post(f"{FHIR}/{resource_type}", resource, format="json", **headers)


def outcome(response, status: int) -> list[dict]:
    assert response.status_code == status, response.content[:500]
    body = response.json()
    construct_fhir_element("OperationOutcome", body)
    return body["issue"]


@on_stack
def test_a_lab_systems_observation_lands_as_a_lab_result_and_raises_the_alert(api_as):
    lab = api_as("clinician")
    encounter = visit()
    wait_replayed()
    response = post(lab, "Observation", potassium(encounter))
    assert response.status_code == 201, response.content
    created = response.json()
    construct_fhir_element("Observation", created)
    result = LabResult.objects.get()
    assert created["id"] == f"lab-{result.pk}"
    assert response["Location"].endswith(f"/fhir/R4/Observation/lab-{result.pk}")
    assert (result.test_code, result.value, result.flag) == ("2823-3", Decimal("6.900"), "critical_high")
    assert result.recorded_by.username.startswith("api:")
    # The integrator searches at once and sees it (read-your-writes from the standbys).
    found = lab.get(f"{FHIR}/Observation", {"patient": encounter.patient_id, "category": "laboratory"}).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [created["id"]]
    refresh.refresh("patient_alerts", force=True)
    wait_replayed()
    rules = {a["rule"] for a in queries.patient_alerts(patient_id=encounter.patient_id)["alerts"]}
    assert "critical_lab" in rules


def test_bad_observations_name_the_element_and_write_nothing(api_as):
    lab = api_as("clinician")
    encounter, stranger = visit(), PatientFactory()
    cases = [
        (potassium(encounter, unit="mg/dL"), "Observation.valueQuantity.unit"),
        (potassium(encounter, value=45), "Observation.valueQuantity.value"),
        ({**potassium(encounter), "subject": {"reference": f"Patient/{stranger.pk}"}}, "Observation.subject"),
        ({**potassium(encounter), "encounter": {"reference": "Encounter/999999999"}}, "Observation.encounter"),
        (
            {**potassium(encounter), "code": {"coding": [{"system": "http://loinc.org", "code": "1-8"}]}},
            "Observation.code",
        ),
        ({**potassium(encounter), "effectiveDateTime": "2026-03-04"}, "Observation.effectiveDateTime"),
    ]
    for resource, element in cases:
        issues = outcome(post(lab, "Observation", resource), 400)
        assert element in [e for i in issues for e in i.get("expression", [])], (element, issues)
    assert not LabResult.objects.exists()
    wrong_type = outcome(post(lab, "Observation", {"resourceType": "Patient"}), 400)
    assert wrong_type[0]["expression"] == ["resourceType"]
    not_json = lab.post(f"{FHIR}/Observation", "{not json", content_type="application/fhir+json")
    assert outcome(not_json, 400)[0]["code"] == "structure"
    assert outcome(post(lab, "Encounter", {"resourceType": "Encounter"}), 405)[0]["code"] == "not-supported"


def test_conditional_create_and_idempotency_key_make_retries_safe(api_as):
    lab = api_as("clinician")
    registry = api_as("front_desk")
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:hmis:mrn", "value": "EXT0042"}],
        "name": [{"use": "official", "family": "Mensah", "given": ["Kofi"]}],
        "gender": "male",
        "birthDate": "1984-07-09",
        "telecom": [{"system": "phone", "value": "+233 20 000 0000"}],
        "address": [{"line": ["12 Ring Road"], "city": "Accra", "postalCode": "GA-184", "country": "GH"}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "fr"}]}, "preferred": True}],
    }
    first = post(registry, "Patient", patient, HTTP_IF_NONE_EXIST="identifier=urn:hmis:mrn|EXT0042")
    again = post(registry, "Patient", patient, HTTP_IF_NONE_EXIST="identifier=urn:hmis:mrn|EXT0042")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    saved = Patient.objects.get(mrn="EXT0042")
    assert (saved.given_name, saved.family_name, saved.sex, saved.preferred_language) == (
        "Kofi",
        "Mensah",
        "male",
        "fr",
    )
    assert (saved.address_line1, saved.city, saved.postal_code, saved.country) == (
        "12 Ring Road",
        "Accra",
        "GA-184",
        "GH",
    )
    read = registry.get(f"/fhir/R4/Patient/{saved.pk}").json()
    assert read["address"][0]["line"] == ["12 Ring Road"] and read["address"][0]["postalCode"] == "GA-184"
    assert read["communication"][0]["language"]["coding"][0]["code"] == "fr"
    encounter = visit(patient=saved)
    resource = potassium(encounter, value=4.1)
    once = post(lab, "Observation", resource, HTTP_IDEMPOTENCY_KEY="lab-msg-7")
    twice = post(lab, "Observation", resource, HTTP_IDEMPOTENCY_KEY="lab-msg-7")
    assert (once.status_code, twice.status_code) == (201, 201) and twice["Idempotent-Replayed"] == "true"
    assert once.json()["id"] == twice.json()["id"] and LabResult.objects.count() == 1
    missing = outcome(post(registry, "Patient", {**patient, "birthDate": None, "identifier": []}), 400)
    assert missing[0]["expression"] == ["Patient.birthDate"]
    assert Patient.objects.count() == 1


def test_vital_signs_allergies_and_problems_are_created_through_their_commands(api_as):
    nurse, doctor = api_as("nurse"), api_as("clinician")
    encounter = visit()
    patient = f"Patient/{encounter.patient_id}"
    panel = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "subject": {"reference": patient},
        "encounter": {"reference": f"Encounter/{encounter.pk}"},
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {"value": 142, "unit": "mm[Hg]"},
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                "valueQuantity": {"value": 91, "unit": "mm[Hg]"},
            },
        ],
    }
    created = post(nurse, "Observation", panel)
    assert created.status_code == 201, created.content
    vitals = Vitals.objects.get()
    assert (vitals.systolic, vitals.diastolic, created.json()["id"]) == (142, 91, f"vs-{vitals.pk}-bp")
    penicillin = {
        "resourceType": "AllergyIntolerance",
        "patient": {"reference": patient},
        "code": {"coding": [{"system": "urn:hmis:allergen", "code": "class:penicillins"}], "text": "Penicillin"},
        "category": ["medication"],
        "verificationStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}
            ]
        },
        "reaction": [{"manifestation": [{"text": "Hives"}], "severity": "moderate"}],
    }
    assert post(nurse, "AllergyIntolerance", penicillin).status_code == 201
    allergy = Allergy.objects.get()
    assert (allergy.allergen_code, allergy.verification, allergy.severity, allergy.reaction) == (
        "class:penicillins",
        "confirmed",
        "moderate",
        "Hives",
    )
    other = visit().patient
    nkda = {
        "resourceType": "AllergyIntolerance",
        "patient": {"reference": f"Patient/{other.pk}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "409137002"}]},
    }
    stated = post(nurse, "AllergyIntolerance", nkda)
    assert stated.status_code == 201 and stated.json()["id"].startswith("st-")
    assert AllergyStatement.objects.get().kind == "nkda"
    problem = {
        "resourceType": "Condition",
        "subject": {"reference": patient},
        "category": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}
                ]
            }
        ],
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]},
        "onsetDateTime": "2025-01-10",
    }
    assert post(nurse, "Condition", problem).status_code == 403  # nurses do not add problems
    assert post(doctor, "Condition", problem).status_code == 201
    assert Condition.objects.get().onset == dt.date(2025, 1, 10)
    category = {**problem, "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "J18"}]}}
    issues = outcome(post(doctor, "Condition", category), 400)
    assert issues[0]["expression"] == ["Condition.code"] and "J18" in issues[0]["diagnostics"]
    assert Condition.objects.count() == 1
    duplicate = outcome(post(doctor, "Condition", problem), 409)
    assert duplicate[0]["code"] == "conflict"
