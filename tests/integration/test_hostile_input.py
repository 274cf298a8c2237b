"""Hostile input on pages and API: oversized, wrongly typed, NUL bytes, unicode, SQL and script injection.
Each is a clean 400 (or a harmless answer), nothing half-written, output escaped."""

import pytest
from django.db import connections

from clinical.models import Patient
from tests.support.factories.clinical import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD = {"given_name": "Ana", "family_name": "Silva", "date_of_birth": "1980-01-01", "confirm_new": True}
SCRIPT = "<script>alert('x')</script>"
SQL = "Robert'); DROP TABLE clinical_patient;--"


@pytest.fixture
def desk(api_as):
    return api_as("front_desk")


@pytest.fixture
def browser(client):
    client.force_login(UserFactory(roles=["front_desk", "clinician"]))
    return client


def test_nul_bytes_in_query_strings_and_forms_are_400s_naming_the_field(desk, browser):
    api = desk.get("/api/v1/patients/", {"q": "Sil\x00va"})
    assert api.status_code == 400 and api.json() == {"errors": {"q": ["Null characters are not allowed."]}}
    assert browser.get("/patients/", {"q": "a\x00"}).status_code == 400
    form = browser.post("/patients/new/", {**GOOD, "family_name": "Sil\x00va"})
    assert form.status_code == 400
    assert not Patient.objects.exists()


def test_nul_bytes_in_a_json_body_are_a_400_on_that_field(desk):
    response = desk.post("/api/v1/patients/", {**GOOD, "given_name": "A\x00na"}, format="json")
    assert response.status_code == 400 and "given_name" in response.json()["errors"]
    assert not Patient.objects.exists()


def test_an_oversized_body_is_refused_before_parsing(desk, settings):
    huge = {**GOOD, "address_line1": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    response = desk.post("/api/v1/patients/", huge, format="json")
    assert response.status_code == 400 and "body" in response.json()["errors"]
    long_field = desk.post("/api/v1/patients/", {**GOOD, "address_line1": "x" * 5000}, format="json")
    assert long_field.status_code == 400 and "address_line1" in long_field.json()["errors"]
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "date_of_birth": 12345}, "date_of_birth"),
        ({**GOOD, "given_name": {"$ne": ""}}, "given_name"),
        ({**GOOD, "family_name": ["a", "b"]}, "family_name"),
        ({**GOOD, "sex": "🦄"}, "sex"),
        ({**GOOD, "given_name": "x" * 101}, "given_name"),
        ({**GOOD, "date_of_birth": "1980-02-30"}, "date_of_birth"),
    ],
)
def test_wrong_types_and_sizes_are_400s_with_per_field_messages(desk, body, field):
    response = desk.post("/api/v1/patients/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.json()
    assert not Patient.objects.exists()


def test_a_body_that_is_not_json_or_not_an_object_is_a_400(desk):
    broken = desk.post("/api/v1/patients/", "{not json", content_type="application/json")
    assert broken.status_code == 400 and "body" in broken.json()["errors"]
    listed = desk.post("/api/v1/patients/", [1, 2], format="json")
    assert listed.status_code == 400
    assert not Patient.objects.exists()


def test_out_of_range_numbers_in_urls_and_bodies_are_not_server_errors(desk, browser, api_as):
    assert desk.get("/api/v1/patients/99999999999999999999999/").status_code in (400, 404)
    assert browser.get("/patients/99999999999999999999999/").status_code in (400, 404)
    assert desk.get("/api/v1/patients/0.5/").json() == {"errors": {"detail": ["Not found."]}}
    biller = api_as("billing_clerk")
    payment = {"invoice": 99999999999999999999, "amount": "1e30", "method": "cash"}
    assert biller.post("/api/v1/payments/", payment, format="json").status_code == 400


def test_unicode_names_round_trip_and_are_found(desk, browser):
    names = [("Ζωή", "Παπαδοπούλου"), ("翔太", "山田"), ("Zoë", "O\u2019Brien-Núñez"), ("Ayşe", "Öztürk 🙂")]
    for given, family in names:
        created = desk.post("/api/v1/patients/", {**GOOD, "given_name": given, "family_name": family}, format="json")
        assert created.status_code == 201 and created.json()["family_name"] == family
    found = desk.get("/api/v1/patients/", {"q": "山田"}).json()
    assert [p["given_name"] for p in found["results"]] == ["翔太"]
    assert "Παπαδοπούλου" in browser.get("/patients/", {"q": "Παπαδοπούλου"}).content.decode()


def test_sql_injection_in_search_and_names_is_just_text(desk, browser):
    PatientFactory(family_name="Silva")
    for q in ("' OR 1=1 --", "%' OR '1'='1", "Silva'; DELETE FROM clinical_patient; --", "\\", "%", "_"):
        assert desk.get("/api/v1/patients/", {"q": q}).json()["count"] == 0, q
        assert browser.get("/patients/", {"q": q}).status_code == 200
    created = desk.post("/api/v1/patients/", {**GOOD, "family_name": SQL}, format="json")
    assert created.status_code == 201
    assert Patient.objects.get(pk=created.json()["id"]).family_name == SQL
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM clinical_patient")
        assert cursor.fetchone()[0] == 2


def test_script_in_a_name_is_stored_as_text_and_escaped_on_every_page(desk, browser):
    created = desk.post("/api/v1/patients/", {**GOOD, "family_name": SCRIPT}, format="json")
    assert created.status_code == 201 and created.json()["family_name"] == SCRIPT
    patient_id = created.json()["id"]
    for page in (f"/patients/{patient_id}/", "/patients/?q=script", "/patients/?q=script&partial=1"):
        html = browser.get(page).content.decode()
        assert SCRIPT not in html, page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html, page
    search = browser.get("/patients/", {"q": SCRIPT}).content.decode()
    assert SCRIPT not in search
