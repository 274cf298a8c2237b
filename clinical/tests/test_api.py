import pytest
from rest_framework.test import APIClient

from clinical.models import Diagnosis, Encounter, Patient
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "given_name": "Grace",
    "family_name": "Mwangi",
    "date_of_birth": "1948-05-17",
    "sex": "female",
    "confirm_new": True,  # registered more than once on purpose: no duplicate warning
}


def test_no_credentials_or_a_bad_key_is_401():
    assert APIClient().get("/api/v1/patients/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Api-Key not-a-real-key-at-all")
    response = bad.get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json() == {"errors": {"detail": ["Invalid or inactive API key."]}}


def test_staff_session_works_too(client):
    client.force_login(UserFactory(roles=["clinician"]))
    PatientFactory()
    assert client.get("/api/v1/patients/").json()["count"] == 1


def test_roles_are_enforced(api_as):
    patient = PatientFactory()
    biller, pharmacist, reporter = api_as("billing_clerk"), api_as("pharmacist"), api_as("report_viewer")
    assert biller.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert biller.post("/api/v1/patients/", NEW_PATIENT, format="json").status_code == 403
    assert pharmacist.get("/api/v1/patients/").status_code == 200
    assert reporter.get("/api/v1/patients/").status_code == 403
    encounter = EncounterFactory()
    response = biller.post("/api/v1/diagnoses/", {"encounter": encounter.pk, "code": "I10"}, format="json")
    assert response.status_code == 403
    assert biller.post(f"/api/v1/encounters/{encounter.pk}/close/").status_code == 403
    assert not Diagnosis.objects.exists() and not Patient.objects.filter(family_name="Mwangi").exists()


def test_register_search_update_and_read_a_patient(api_as):
    api = api_as("clinician")
    created = api.post("/api/v1/patients/", NEW_PATIENT, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["mrn"].startswith("MRN")
    assert api.get("/api/v1/patients/", {"q": "mwangi"}).json()["results"][0]["id"] == body["id"]
    assert api.get("/api/v1/patients/", {"q": body["mrn"]}).json()["count"] == 1
    patched = api.patch(f"/api/v1/patients/{body['id']}/", {"phone": "+254 700 000"}, format="json")
    assert patched.status_code == 200 and patched.json()["phone"] == "+254 700 000"
    assert api.get("/api/v1/patients/999999/").status_code == 404


def test_bad_patient_input_gets_per_field_messages(api_as):
    api = api_as("clinician")
    response = api.post(
        "/api/v1/patients/", {"given_name": "", "date_of_birth": "2999-01-01", "sex": "robot"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"given_name", "family_name", "sex"} <= set(errors)
    future = api.post("/api/v1/patients/", {**NEW_PATIENT, "date_of_birth": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "date_of_birth" in future.json()["errors"]
    assert not Patient.objects.exists()


def test_malformed_json_is_a_400_with_a_message(api_as):
    response = api_as("clinician").post("/api/v1/patients/", '{"given_name": ', content_type="application/json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]


def test_encounter_diagnosis_allergy_vitals_flow(api_as):
    api = api_as("clinician")
    patient, department = PatientFactory(), DepartmentFactory()
    encounter = api.post(
        "/api/v1/encounters/",
        {
            "patient": patient.pk,
            "type": "emergency",
            "department": department.pk,
            "reason": "chest pain",
            "attending": UserFactory(roles=["clinician"]).pk,  # an integrator is never the attending
        },
        format="json",
    )
    assert encounter.status_code == 201, encounter.json()
    encounter_id = encounter.json()["id"]
    assert encounter.json()["status"] == "open"

    diagnosis = api.post(
        "/api/v1/diagnoses/", {"encounter": encounter_id, "code": "I21.9", "is_primary": True}, format="json"
    )
    assert diagnosis.status_code == 201
    assert diagnosis.json()["description"] == "Acute myocardial infarction, unspecified"
    unknown = api.post("/api/v1/diagnoses/", {"encounter": encounter_id, "code": "Q99.999"}, format="json")
    assert unknown.status_code == 400 and "code" in unknown.json()["errors"]
    second_primary = api.post(
        "/api/v1/diagnoses/", {"encounter": encounter_id, "code": "I10", "is_primary": True}, format="json"
    )
    assert second_primary.status_code == 409

    allergy = api.post(
        "/api/v1/allergies/", {"patient": patient.pk, "substance": "Aspirin", "severity": "severe"}, format="json"
    )
    assert allergy.status_code == 201
    vitals = api.post("/api/v1/vitals/", {"encounter": encounter_id, "pulse": 300}, format="json")
    assert vitals.status_code == 400 and "pulse" in vitals.json()["errors"]
    vitals = api.post("/api/v1/vitals/", {"encounter": encounter_id, "pulse": 110, "spo2": 93}, format="json")
    assert vitals.status_code == 201

    assert api.post(f"/api/v1/encounters/{encounter_id}/close/").status_code == 200
    closed_again = api.post(f"/api/v1/encounters/{encounter_id}/close/")
    assert closed_again.status_code == 409
    assert closed_again.json()["errors"]["detail"] == [f"Encounter {encounter_id} is already closed."]
    assert api.post("/api/v1/encounters/999999/close/").status_code == 404

    summary = api.get(f"/api/v1/patients/{patient.pk}/summary/").json()
    assert [p["code"] for p in summary["problems"]] == ["I21.9"]
    assert summary["allergy_status"] == {"state": "recorded", "label": "Allergies recorded"}
    assert [a["substance"] for a in summary["allergies"]] == ["Aspirin"]
    assert summary["recent_encounters"][0]["status"] == "closed"
    assert summary["open_balance"] == "0.00"
    assert api.get("/api/v1/patients/999999/summary/").status_code == 404


def test_lists_are_paginated_and_filterable(api_as):
    api = api_as("clinician")
    patient = PatientFactory()
    for _ in range(55):
        EncounterFactory(patient=patient)
    EncounterFactory(status=Encounter.Status.OPEN)
    first = api.get("/api/v1/encounters/", {"patient": patient.pk})
    body = first.json()
    assert body["count"] == 55 and len(body["results"]) == 50 and body["next"]
    assert len(api.get(body["next"]).json()["results"]) == 5


def test_icd10_search_by_code_or_words(api_as):
    api = api_as("clinician")
    by_code = api.get("/api/v1/icd10/", {"q": "e11.9"}).json()["results"]
    assert by_code[0]["code"] == "E11.9"
    by_words = api.get("/api/v1/icd10/", {"q": "essential hypertension"}).json()["results"]
    assert "I10" in [c["code"] for c in by_words]
