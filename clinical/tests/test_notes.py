"""Clinical notes: drafts edited by their author only, signing makes a note final (the database refuses an
edit), corrections are amendments that link to the note they correct."""

import pytest
from django.db import IntegrityError, connection, transaction

from clinical import commands
from clinical.models import SOAP_TEMPLATE, ClinicalNote
from core.errors import Conflict, InvalidInput, NotFound
from tests.support.factories.clinical import EncounterFactory, UserFactory

pytestmark = pytest.mark.django_db

SOAP = (
    "Subjective:\nCough for 3 days.\n\nObjective:\nT 38.1\n\nAssessment:\nViral URTI\n\nPlan:\nFluids, review in 1 week"
)


@pytest.fixture
def encounter():
    return EncounterFactory()


@pytest.fixture
def doctor():
    return UserFactory(username="dr-notes", roles=["clinician"])


def test_a_note_is_written_as_a_draft_edited_by_its_author_and_signed(encounter, doctor):
    note = commands.note_write(encounter_id=encounter.pk, author=doctor, text="Subjective:\nCough")
    assert (note.status, note.signed_at, note.author) == ("draft", None, doctor)
    note = commands.note_edit(note_id=note.pk, editor=doctor, text=SOAP)
    assert note.text == SOAP and note.status == "draft"
    note = commands.note_sign(note_id=note.pk, signer=doctor)
    stored = ClinicalNote.objects.get(pk=note.pk)
    assert stored.status == "signed" and stored.signed_at is not None and stored.text == SOAP


def test_a_note_signed_at_once(encounter, doctor):
    note = commands.note_write(encounter_id=encounter.pk, author=doctor, text=SOAP, sign=True)
    assert note.signed and note.signed_at == note.created_at


@pytest.mark.parametrize("text", ["", "   ", SOAP_TEMPLATE])
def test_an_empty_note_or_the_bare_template_is_refused(encounter, doctor, text):
    with pytest.raises(InvalidInput) as caught:
        commands.note_write(encounter_id=encounter.pk, author=doctor, text=text)
    assert caught.value.errors == {"text": ["Write the note before saving it."]}
    assert not ClinicalNote.objects.exists()


def test_only_the_author_edits_or_signs_a_draft(encounter, doctor):
    note = commands.note_write(encounter_id=encounter.pk, author=doctor, text="draft")
    other = UserFactory(username="nurse-notes", roles=["nurse"])
    with pytest.raises(Conflict):
        commands.note_edit(note_id=note.pk, editor=other, text="changed by someone else")
    with pytest.raises(Conflict):
        commands.note_sign(note_id=note.pk, signer=other)
    assert ClinicalNote.objects.get(pk=note.pk).text == "draft"
    assert ClinicalNote.objects.get(pk=note.pk).status == "draft"


def test_a_signed_note_is_never_edited_by_the_command(encounter, doctor):
    note = commands.note_write(encounter_id=encounter.pk, author=doctor, text=SOAP, sign=True)
    with pytest.raises(Conflict) as caught:
        commands.note_edit(note_id=note.pk, editor=doctor, text="rewritten")
    assert "amend it instead" in caught.value.errors["text"][0]
    with pytest.raises(Conflict):
        commands.note_sign(note_id=note.pk, signer=doctor)
    assert ClinicalNote.objects.get(pk=note.pk).text == SOAP


def test_the_database_refuses_to_change_or_delete_a_signed_note(encounter, doctor):
    signed = commands.note_write(encounter_id=encounter.pk, author=doctor, text=SOAP, sign=True)
    draft = commands.note_write(encounter_id=encounter.pk, author=doctor, text="draft")
    for sql in (
        "UPDATE clinical_clinicalnote SET text = 'rewritten' WHERE id = %s",
        "UPDATE clinical_clinicalnote SET status = 'draft', signed_at = NULL WHERE id = %s",
        "DELETE FROM clinical_clinicalnote WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [signed.pk])
    with connection.cursor() as cursor:  # a draft may change
        cursor.execute("UPDATE clinical_clinicalnote SET text = 'edited' WHERE id = %s", [draft.pk])
    assert ClinicalNote.objects.get(pk=signed.pk).text == SOAP
    assert ClinicalNote.objects.get(pk=draft.pk).text == "edited"


def test_an_amendment_links_to_the_signed_note_and_leaves_it_as_it_was(encounter, doctor):
    original = commands.note_write(encounter_id=encounter.pk, author=doctor, text=SOAP, sign=True)
    commands.encounter_close(encounter_id=encounter.pk)  # notes are corrected after the visit too
    nurse = UserFactory(username="nurse-amends", roles=["nurse"])
    amendment = commands.note_amend(note_id=original.pk, author=nurse, text=SOAP.replace("38.1", "37.8"), sign=True)
    assert amendment.amends == original and amendment.encounter_id == encounter.pk and amendment.signed
    assert ClinicalNote.objects.get(pk=original.pk).text == SOAP
    assert ClinicalNote.objects.get(pk=original.pk).amendment == amendment
    with pytest.raises(Conflict) as caught:  # one chain: the next correction amends the amendment
        commands.note_amend(note_id=original.pk, author=doctor, text="again")
    assert f"amended by note {amendment.pk}" in caught.value.errors["text"][0]
    assert ClinicalNote.objects.count() == 2


def test_a_draft_is_not_amended_and_an_unchanged_amendment_is_refused(encounter, doctor):
    draft = commands.note_write(encounter_id=encounter.pk, author=doctor, text="draft")
    with pytest.raises(Conflict):
        commands.note_amend(note_id=draft.pk, author=doctor, text="other")
    signed = commands.note_write(encounter_id=encounter.pk, author=doctor, text=SOAP, sign=True)
    with pytest.raises(InvalidInput):
        commands.note_amend(note_id=signed.pk, author=doctor, text=SOAP + "\n")
    assert ClinicalNote.objects.count() == 2


def test_no_new_note_on_a_closed_encounter_and_missing_notes_are_404(encounter, doctor):
    commands.encounter_close(encounter_id=encounter.pk)
    with pytest.raises(Conflict) as caught:
        commands.note_write(encounter_id=encounter.pk, author=doctor, text=SOAP)
    assert "encounter" in caught.value.errors
    with pytest.raises(NotFound):
        commands.note_sign(note_id=999999, signer=doctor)
    assert not ClinicalNote.objects.exists()
