"""FHIR R4 read and search: every resource validates against R4's structure definitions (fhir.resources 6.4,
the last release whose models are R4 4.0.1), search parameters with their prefixes and modifiers, keyset
paging through a changing result set, ETags, $everything, permissions, audit and read-your-writes."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from fhir.resources import construct_fhir_element

from clinical import commands as clinical
from clinical.models import Patient
from core.audit.models import AuditEvent
from fhir_api.resources import TYPES
from tests.support import data
from tests.support.factories.clinical import EncounterFactory, PatientFactory
from tests.support.stack import on_stack, wait_replayed

pytestmark = pytest.mark.django_db(databases="__all__")
FHIR = "/fhir/R4"


def valid(resource: dict) -> dict:
    """The resource, after R4's model accepted it (types, cardinalities, required elements, invariants)."""
    construct_fhir_element(resource["resourceType"], resource)
    return resource


def bundle(client, path: str, **params) -> dict:
    response = client.get(f"{FHIR}/{path}", params)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/fhir+json")
    found = valid(response.json())
    assert found["type"] == "searchset"
    return found


def ids(found: dict, mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in found.get("entry", []) if e["search"]["mode"] == mode]


def follow(client, url: str) -> dict:
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, response.content[:500]
    return valid(response.json())


@pytest.fixture
def made():
    return data.one_of_each(family_name="Okafor", given_name="Adaeze", mrn="FHIR00001")


def test_every_resource_type_searches_and_reads_as_valid_r4(made, api_as):
    client = api_as("admin")
    seen = {}
    for name in TYPES:
        found = bundle(client, name, _count="500")
        assert ids(found), f"{name}: the fixture has one of each, the search found none"
        for entry in found["entry"]:
            resource = entry["resource"]
            assert entry["fullUrl"].endswith(f"/fhir/R4/{name}/{resource['id']}")
            assert resource["meta"]["versionId"] and resource["meta"]["lastUpdated"]
            read = client.get(f"{FHIR}/{name}/{resource['id']}")
            assert read.status_code == 200, (name, resource["id"])
            assert valid(read.json()) == resource
            seen.setdefault(name, []).append(resource)
    patient = next(p for p in seen["Patient"] if p["id"] == str(made["patient"].pk))
    assert patient["identifier"][0] == {
        "use": "usual",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR",
                             "display": "Medical record number"}]},
        "system": "urn:hmis:mrn",
        "value": "FHIR00001",
    }  # fmt: skip
    lab = next(o for o in seen["Observation"] if o["id"] == f"lab-{made['lab_result'].pk}")
    assert lab["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "2823-3",
        "display": "Potassium [Moles/volume] in Serum or Plasma",
    }
    assert lab["valueQuantity"] == {
        "value": 4.2,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    }
    assert lab["interpretation"][0]["coding"][0]["code"] == "N"
    assert lab["referenceRange"][0]["low"]["value"] == 3.5
    pulse = next(o for o in seen["Observation"] if o["id"] == f"vs-{made['vitals'].pk}-hr")
    assert pulse["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]
    assert pulse["valueQuantity"]["value"] == 80 and pulse["valueQuantity"]["code"] == "/min"
    problem = next(c for c in seen["Condition"] if c["id"] == f"pl-{made['condition'].pk}")
    assert problem["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert problem["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
    request = next(r for r in seen["MedicationRequest"] if r["id"] == str(made["prescription"].pk))
    assert request["status"] == "active" and request["intent"] == "order"  # 4 of 12 dispensed
    assert request["medicationReference"]["reference"] == f"Medication/{made['drug'].pk}"
    latex = next(a for a in seen["AllergyIntolerance"] if a["id"] == str(made["allergy"].pk))
    assert latex["code"]["coding"][0]["system"] == "urn:hmis:allergen"
    locations = {r["id"] for r in seen["Location"]}
    assert {f"ward-{made['ward'].pk}", f"bed-{made['bed'].pk}", f"dept-{made['department'].pk}"} <= locations


def test_metadata_lists_exactly_the_supported_types_and_parameters(client):
    response = client.get(f"{FHIR}/metadata")
    assert response.status_code == 200
    statement = valid(response.json())
    assert statement["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == set(TYPES)
    assert {p["name"] for p in resources["Patient"]["searchParam"]} >= {"identifier", "name", "birthdate", "gender"}
    assert resources["Patient"]["operation"][0]["name"] == "everything"
    assert "Observation:patient" in resources["Observation"]["searchInclude"]


def _patients():
    born = {"Ada": dt.date(1950, 3, 1), "Bea": dt.date(1950, 12, 31), "Cy": dt.date(1951, 1, 1)}
    sex = {"Ada": "female", "Bea": "female", "Cy": "male"}
    return {
        given: PatientFactory(given_name=given, family_name="Zubrowski", date_of_birth=day, sex=sex[given])
        for given, day in born.items()
    }


def test_patient_search_parameters_with_prefixes_and_modifiers(api_as):
    client = api_as("clinician")
    made = _patients()
    pk = {given: str(p.pk) for given, p in made.items()}

    def found(**params):
        return sorted(ids(bundle(client, "Patient", **params)))

    everyone = sorted(pk.values())
    assert found(family="zubrow") == everyone  # starts with, any case
    assert found(family="ubrow") == []
    assert found(**{"family:contains": "ubrow"}) == everyone
    assert found(**{"family:exact": "zubrowski"}) == []
    assert found(name="Bea") == [pk["Bea"]]
    assert found(birthdate="1950", family="Zubrowski") == sorted([pk["Ada"], pk["Bea"]])
    assert found(birthdate="1950-12", family="Zubrowski") == [pk["Bea"]]
    assert found(birthdate="ge1950-12-31", family="Zubrowski") == sorted([pk["Bea"], pk["Cy"]])
    assert found(birthdate="gt1950-12-31", family="Zubrowski") == [pk["Cy"]]
    assert found(birthdate="lt1950-12-31", family="Zubrowski") == [pk["Ada"]]
    assert found(birthdate="le1950", family="Zubrowski") == sorted([pk["Ada"], pk["Bea"]])
    assert found(birthdate="ne1950", family="Zubrowski") == [pk["Cy"]]
    assert found(birthdate=["ge1950-06-01", "lt1951"], family="Zubrowski") == [pk["Bea"]]  # AND
    assert found(birthdate="1950-03-01,1951-01-01", family="Zubrowski") == sorted([pk["Ada"], pk["Cy"]])  # OR
    assert found(gender="male", family="Zubrowski") == [pk["Cy"]]
    assert found(**{"gender:not": "male"}, family="Zubrowski") == sorted([pk["Ada"], pk["Bea"]])
    mrn = made["Ada"].mrn
    assert found(identifier=f"urn:hmis:mrn|{mrn}") == [pk["Ada"]]
    assert found(identifier=mrn.lower()) == [pk["Ada"]]
    assert found(identifier=f"http://other.example|{mrn}") == []
    assert found(_id=f"{pk['Bea']},{pk['Cy']}") == sorted([pk["Bea"], pk["Cy"]])


def test_bad_searches_answer_400_operation_outcomes_naming_the_parameter(api_as):
    client = api_as("clinician")
    for params, parameter in (
        ({"birthdate": "1950-13-01"}, "birthdate"),
        ({"birthdate": "xx1950"}, "birthdate"),
        ({"gender": "f"}, "gender"),
        ({"_count": "-1"}, "_count"),
        ({"family:missing": "true"}, "family:missing"),
        ({"_include": "Patient:organization"}, "_include"),
        ({"_cursor": "not-a-cursor"}, "_cursor"),
    ):
        response = client.get(f"{FHIR}/Patient", params)
        assert response.status_code == 400, params
        outcome = valid(response.json())
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["diagnostics"].startswith(parameter), outcome
    strict = client.get(f"{FHIR}/Patient", {"shoe-size": "9"}, HTTP_PREFER="handling=strict")
    assert strict.status_code == 400
    lenient = client.get(f"{FHIR}/Patient", {"shoe-size": "9"})
    assert lenient.status_code == 200
    assert "shoe-size" not in lenient.json()["link"][0]["url"]
    missing = client.get(f"{FHIR}/Patient/999999999")
    assert missing.status_code == 404 and valid(missing.json())["issue"][0]["code"] == "not-found"
    assert client.get(f"{FHIR}/Spaceship").status_code == 404
    assert client.get(f"{FHIR}/metadata", {"_format": "xml"}).status_code == 406


def test_observation_search_by_category_code_date_and_value(api_as):
    client = api_as("clinician")
    when = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
    encounter = EncounterFactory(started_at=when - dt.timedelta(hours=1))
    patient = str(encounter.patient_id)
    potassium = clinical.lab_result_record(
        encounter_id=encounter.pk, test="2823-3", value=Decimal("6.8"), resulted_at=when
    )
    sodium = clinical.lab_result_record(
        encounter_id=encounter.pk, test="2951-2", value=Decimal("140"), resulted_at=when
    )
    vitals = clinical.vitals_record(encounter_id=encounter.pk, pulse=72, systolic=150, diastolic=95)

    def found(**params):
        return sorted(ids(bundle(client, "Observation", patient=patient, **params)))

    labs = sorted([f"lab-{potassium.pk}", f"lab-{sodium.pk}"])
    signs = sorted([f"vs-{vitals.pk}-hr", f"vs-{vitals.pk}-bp"])
    assert found() == sorted(labs + signs)
    assert found(category="laboratory") == labs
    assert found(category="http://terminology.hl7.org/CodeSystem/observation-category|vital-signs") == signs
    assert found(code="http://loinc.org|2823-3") == [f"lab-{potassium.pk}"]
    assert found(code="http://loinc.org|85354-9") == [f"vs-{vitals.pk}-bp"]
    assert found(code="8867-4,2951-2") == sorted([f"lab-{sodium.pk}", f"vs-{vitals.pk}-hr"])
    assert found(code="http://snomed.info/sct|2823-3") == []
    assert found(category="laboratory", date="2026-03-04") == labs
    assert found(category="laboratory", date="lt2026-03-04") == []
    assert found(code="2823-3", **{"value-quantity": "gt6.5"}) == [f"lab-{potassium.pk}"]
    assert found(code="2823-3", **{"value-quantity": "le6.5"}) == []
    assert found(category="laboratory", **{"value-quantity": "gt100"}) == [f"lab-{sodium.pk}"]
    high = bundle(client, "Observation", _id=f"lab-{potassium.pk}")["entry"][0]["resource"]
    assert high["interpretation"][0]["coding"][0]["code"] == "HH"  # critical high
    panel = bundle(client, "Observation", _id=f"vs-{vitals.pk}-bp")["entry"][0]["resource"]
    assert [c["valueQuantity"]["value"] for c in panel["component"]] == [150, 95]
    with_patient = bundle(client, "Observation", patient=patient, category="laboratory", _include="Observation:patient")
    assert ids(with_patient, "include") == [patient]


def test_condition_search_keeps_the_problem_list_apart_from_encounter_diagnoses(api_as):
    client = api_as("clinician")
    encounter = EncounterFactory()
    diagnosis = clinical.diagnosis_record(encounter_id=encounter.pk, code="I10", is_primary=True)
    problem = encounter.patient.conditions.get(code="I10")
    patient = str(encounter.patient_id)

    def found(**params):
        return sorted(ids(bundle(client, "Condition", patient=patient, **params)))

    assert found() == sorted([f"pl-{problem.pk}", f"dx-{diagnosis.pk}"])
    assert found(category="problem-list-item") == [f"pl-{problem.pk}"]
    assert found(category="encounter-diagnosis", encounter=str(encounter.pk)) == [f"dx-{diagnosis.pk}"]
    assert found(encounter=str(encounter.pk)) == [f"dx-{diagnosis.pk}"]  # problems belong to no encounter
    assert found(code="http://hl7.org/fhir/sid/icd-10-cm|I10", category="problem-list-item") == [f"pl-{problem.pk}"]
    clinical.condition_resolve(condition_id=problem.pk, resolved_on=dt.date.today())
    assert found(**{"clinical-status": "resolved"}) == [f"pl-{problem.pk}"]
    assert found(**{"clinical-status": "active"}) == [f"dx-{diagnosis.pk}"]


def test_paging_returns_each_match_once_while_rows_come_and_go(api_as):
    client = api_as("clinician")
    made = [PatientFactory(family_name="Pagewright") for _ in range(7)]
    first = bundle(client, "Patient", family="Pagewright", _count="3")
    got = ids(first)
    assert got == [str(p.pk) for p in made[:3]]
    # While the client reads, a patient it has seen is renamed away and new ones are registered.
    Patient.objects.filter(pk=made[0].pk).update(family_name="Elsewhere")
    added = [PatientFactory(family_name="Pagewright") for _ in range(2)]
    page = first
    while next_link := [link["url"] for link in page["link"] if link["relation"] == "next"]:
        page = follow(client, next_link[0])
        got += ids(page)
    assert got == [str(p.pk) for p in made + added]
    assert len(got) == len(set(got))


def test_vital_signs_page_within_one_row(api_as):
    client = api_as("clinician")
    encounter = EncounterFactory()
    measured = {"pulse": 70, "systolic": 120, "diastolic": 80, "spo2": 98, "respiratory_rate": 14}
    measured |= {"weight": Decimal("70.5"), "temperature": Decimal("36.6")}
    vitals = clinical.vitals_record(encounter_id=encounter.pk, **measured)
    page, got = bundle(client, "Observation", patient=str(encounter.patient_id), _count="4"), []
    got += ids(page)
    while next_link := [link["url"] for link in page["link"] if link["relation"] == "next"]:
        page = follow(client, next_link[0])
        got += ids(page)
    assert got == [f"vs-{vitals.pk}-{part}" for part in ("hr", "bp", "temp", "spo2", "rr", "wt")]


def test_read_gives_an_etag_and_if_none_match_answers_304_until_it_changes(api_as):
    client = api_as("clinician")
    patient = PatientFactory(phone="")
    first = client.get(f"{FHIR}/Patient/{patient.pk}")
    etag = first["ETag"]
    assert etag == f'W/"{first.json()["meta"]["versionId"]}"'
    unchanged = client.get(f"{FHIR}/Patient/{patient.pk}", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    clinical.patient_update(patient_id=patient.pk, phone="+44 20 7946 0000")
    changed = client.get(f"{FHIR}/Patient/{patient.pk}", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["telecom"][0]["value"] == "+44 20 7946 0000"


def test_everything_holds_the_patients_record_and_nobody_elses(made, api_as):
    client = api_as("clinician")
    other = EncounterFactory()
    clinical.vitals_record(encounter_id=other.pk, pulse=90)
    found = bundle(client, f"Patient/{made['patient'].pk}/$everything")
    resources = [e["resource"] for e in found["entry"]]
    kinds = {r["resourceType"] for r in resources}
    assert {"Patient", "Encounter", "Condition", "AllergyIntolerance", "Observation", "MedicationRequest",
            "MedicationDispense", "Medication", "Practitioner"} <= kinds  # fmt: skip
    for resource in resources:
        subject = resource.get("subject") or resource.get("patient")
        if subject:
            assert subject["reference"] == f"Patient/{made['patient'].pk}", resource
    assert str(other.patient_id) not in {r["id"] for r in resources if r["resourceType"] == "Patient"}
    labs_only = bundle(client, f"Patient/{made['patient'].pk}/$everything", _type="Observation")
    assert {e["resource"]["resourceType"] for e in labs_only["entry"]} == {"Observation"}


def test_roles_limit_what_fhir_shows_and_reads_are_audited_per_patient(made, api_as):
    front_desk = api_as("front_desk")
    refused = front_desk.get(f"{FHIR}/Observation", {"patient": made["patient"].pk})
    assert refused.status_code == 403 and valid(refused.json())["issue"][0]["code"] == "forbidden"
    assert "Okafor" not in refused.content.decode()
    assert front_desk.get(f"{FHIR}/Patient/{made['patient'].pk}").status_code == 200
    everything = bundle(front_desk, f"Patient/{made['patient'].pk}/$everything")
    assert "Observation" not in {e["resource"]["resourceType"] for e in everything["entry"]}
    anonymous = front_desk.__class__().get(f"{FHIR}/Patient")
    assert anonymous.status_code == 401 and valid(anonymous.json())["issue"][0]["code"] == "login"
    before = AuditEvent.objects.filter(patient_id=made["patient"].pk, action=AuditEvent.Action.VIEW).count()
    api_as("clinician").get(f"{FHIR}/Observation", {"patient": made["patient"].pk})
    assert AuditEvent.objects.filter(patient_id=made["patient"].pk).count() > before


@on_stack
def test_an_integrator_sees_its_own_write_at_once(api_as):
    client = api_as("clinician")
    encounter = EncounterFactory()
    wait_replayed()
    posted = client.post(
        "/api/v1/lab-results/", {"encounter": encounter.pk, "test": "2823-3", "value": "3.9"}, format="json"
    )
    assert posted.status_code == 201, posted.content
    found = bundle(client, "Observation", patient=str(encounter.patient_id), category="laboratory")
    assert ids(found) == [f"lab-{posted.json()['id']}"]
