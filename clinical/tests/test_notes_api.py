"""The notes API: write, edit a draft, sign, amend; per-field 400s; a signed note is never edited."""

import pytest

from clinical.models import ClinicalNote
from tests.support.factories.clinical import EncounterFactory

pytestmark = pytest.mark.django_db


def test_write_edit_sign_and_amend_a_note(api_as):
    api, encounter = api_as("clinician"), EncounterFactory()
    made = api.post("/api/v1/notes/", {"encounter": encounter.pk, "text": "Subjective:\nCough"}, format="json")
    assert made.status_code == 201, made.json()
    note = made.json()
    assert (note["status"], note["patient"], note["signed_at"], note["amends"]) == (
        "draft", encounter.patient_id, None, None,
    )  # fmt: skip
    edited = api.patch(f"/api/v1/notes/{note['id']}/", {"text": "Subjective:\nCough, 3 days"}, format="json")
    assert edited.status_code == 200 and edited.json()["text"] == "Subjective:\nCough, 3 days"
    signed = api.post(f"/api/v1/notes/{note['id']}/sign/", format="json")
    assert signed.status_code == 200 and signed.json()["status"] == "signed"

    refused = api.patch(f"/api/v1/notes/{note['id']}/", {"text": "rewritten"}, format="json")
    assert refused.status_code == 409 and "text" in refused.json()["errors"]
    amended = api.post(f"/api/v1/notes/{note['id']}/amend/", {"text": "Subjective:\nCough, 4 days", "sign": True})
    assert amended.status_code == 201, amended.json()
    assert amended.json()["amends"] == note["id"] and amended.json()["status"] == "signed"
    listed = api.get(f"/api/v1/notes/?patient={encounter.patient_id}").json()
    assert {n["id"]: n["amended_by"] for n in listed["results"]}[note["id"]] == amended.json()["id"]
    assert ClinicalNote.objects.get(pk=note["id"]).text == "Subjective:\nCough, 3 days"


def test_bad_note_input_is_a_400_per_field_and_writes_nothing(api_as):
    api = api_as("nurse")
    missing = api.post("/api/v1/notes/", {"text": ""}, format="json")
    assert missing.status_code == 400 and set(missing.json()["errors"]) >= {"encounter", "text"}
    empty = api.post("/api/v1/notes/", {"encounter": EncounterFactory().pk, "text": "  "}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()["errors"]
    nowhere = api.post("/api/v1/notes/", {"encounter": 999999, "text": "x"}, format="json")
    assert nowhere.status_code == 400 and "encounter" in nowhere.json()["errors"]
    assert not ClinicalNote.objects.exists()
