"""Nothing shown to a signed-in user or an API client may be cached by a browser or a proxy."""

import pytest

from tests.support.factories.clinical import EncounterFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/patients/?q=a", "/patients/{patient}/", "/reports/ar-aging/", "/pharmacy/"])
def test_pages_with_patient_data_are_not_stored(client, path):
    encounter = EncounterFactory()
    client.force_login(UserFactory(username="cache-admin", roles=["admin"]))
    response = client.get(path.format(patient=encounter.patient_id))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


def test_api_answers_and_csv_exports_are_not_stored(api_as, client):
    encounter = EncounterFactory()
    assert api_as("clinician").get(f"/api/v1/patients/{encounter.patient_id}/")["Cache-Control"] == "no-store, private"
    client.force_login(UserFactory(username="cache-clerk", roles=["billing_clerk"]))
    export = client.get("/reports/ar-aging/", {"format": "csv"})
    assert export["Cache-Control"] == "no-store, private"
