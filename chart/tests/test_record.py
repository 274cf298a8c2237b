"""The chart as a clinical record, in a real browser: a nurse's vitals with a mistake (the error summary at the
top of the form, focused), a clinician opening a past visit and its printable summary, notes written, signed
and amended, an encounter closed after a confirmation."""

import datetime
import re

from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from clinical import commands as clinical
from clinical.models import ClinicalNote, Encounter, Vitals
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory
from tests.support.stack import on_stack, shot, wait_replayed

pytestmark = on_stack

SIZES = ((1366, 768), (768, 1024))


def open_record(page, form: str) -> None:
    page.locator("#record > details > summary", has_text=form).click()


def open_tab(page, name: str) -> None:
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name=name, exact=True).click()


def shots(page, name: str) -> None:
    """The chart as seen on a laptop and on a tablet (the viewport, not the whole page)."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(_folder() / f"{name}-{width}x{height}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def _folder():
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _patient_with_two_visits(doctor):
    patient = PatientFactory(given_name="Amara", family_name="Okafor")
    clinical.allergy_record(patient_id=patient.pk, substance="penicillin", severity="severe", reaction="anaphylaxis")
    ward, clinic = DepartmentFactory(name="Medicine"), DepartmentFactory(name="Outpatients")
    first = clinical.encounter_start(patient_id=patient.pk, type="inpatient", department_id=ward.pk,
                                     attending_id=doctor.pk, reason="Pneumonia")  # fmt: skip
    second = clinical.encounter_start(patient_id=patient.pk, type="outpatient", department_id=clinic.pk,
                                      attending_id=doctor.pk, reason="Wound check")  # fmt: skip
    return patient, first, second


def test_a_nurse_records_vitals_with_a_mistake_into_the_encounter_she_picks(browse):
    doctor = UserFactory(username="drv", first_name="Ada", last_name="Okoro", roles=["clinician"])
    UserFactory(username="nursev", first_name="Nia", last_name="Bello", roles=["nurse"])
    patient, ward_stay, clinic_visit = _patient_with_two_visits(doctor)
    page = browse("nursev")
    page.goto(f"/patients/{patient.pk}/")

    banner = page.get_by_label("Patient", exact=True)
    expect(banner).to_contain_text("Okafor, Amara")
    expect(banner).to_contain_text("Penicillins · severe")
    expect(banner).to_contain_text("Medicine, Outpatients")  # where the patient is: both open visits
    # Two open encounters: one record panel, recording into the one picked (the latest until then).
    picker = page.get_by_role("navigation", name="Open encounters")
    expect(picker.get_by_role("link")).to_have_count(2)
    picker.get_by_role("link", name=re.compile("Inpatient, Medicine")).click()
    expect(page.get_by_text("Recording into: Inpatient, Medicine")).to_be_visible()
    expect(page.locator("form[aria-label='Record vitals']")).to_have_count(1)  # not one per encounter
    expect(page.locator("form[aria-label='Record a diagnosis']")).to_have_count(0)  # nurses do not diagnose

    open_record(page, "Vitals")
    form = page.get_by_role("form", name="Record vitals")
    form.get_by_label("Pulse (/min)").fill("96")
    form.get_by_label("Systolic (mmHg)").fill("80")
    form.get_by_label("Diastolic (mmHg)").fill("120")  # swapped: a typing mistake
    form.get_by_role("button", name="Record vitals").click()

    errors = page.get_by_role("alert", name="Vitals were not recorded")
    expect(errors).to_contain_text("Diastolic pressure must be below systolic.")
    expect(errors).to_be_focused()  # the page lands on the form, not the top
    expect(errors).to_be_in_viewport()
    expect(page.get_by_role("alert", name="Vitals were not recorded")).to_have_count(1)  # shown once
    assert page.get_by_role("form", name="Record vitals").get_by_label("Pulse (/min)").input_value() == "96"
    expect(page.get_by_text("Recording into: Inpatient, Medicine")).to_be_visible()  # still the one picked
    assert not Vitals.objects.using("default").exists()
    shots(page, "chart-vitals-error")

    errors.get_by_role("link", name=re.compile("Diastolic")).click()
    expect(page.get_by_role("form", name="Record vitals").get_by_label("Diastolic (mmHg)")).to_be_focused()
    form = page.get_by_role("form", name="Record vitals")
    form.get_by_label("Systolic (mmHg)").fill("120")
    form.get_by_label("Diastolic (mmHg)").fill("80")
    form.get_by_role("button", name="Record vitals").click()
    expect(page.get_by_text("Vitals recorded.")).to_be_visible()
    saved = Vitals.objects.using("default").get()
    assert (saved.encounter_id, saved.systolic, saved.diastolic, saved.pulse) == (ward_stay.pk, 120, 80, 96)
    expect(page.get_by_role("region", name="Latest vitals")).to_contain_text("120 mmHg")

    open_tab(page, "Vitals")  # recorded vitals are shown again: the flowsheet
    flowsheet = page.get_by_role("region", name="Vitals flowsheet")
    expect(flowsheet.get_by_role("row")).to_have_count(2)
    expect(flowsheet).to_contain_text("96")
    assert clinic_visit.vitals.count() == 0


@override_settings(HOSPITAL_NAME="St Elsewhere Hospital")
def test_a_clinician_opens_a_past_visit_and_prints_its_summary(browse):
    doctor = UserFactory(username="drp", first_name="Ada", last_name="Okoro", roles=["clinician"])
    patient, past, _ = _patient_with_two_visits(doctor)
    earlier = timezone.now() - datetime.timedelta(hours=3)
    clinical.vitals_record(encounter_id=past.pk, pulse=112, spo2=91, temperature="38.6", recorded_at=earlier)
    clinical.vitals_record(encounter_id=past.pk, pulse=88, spo2=96, temperature="37.2")
    clinical.diagnosis_record(encounter_id=past.pk, code="J18.9", is_primary=True)
    text = "Subjective:\nCough.\n\nAssessment:\nCommunity-acquired pneumonia\n\nPlan:\nAmoxicillin"
    clinical.note_write(encounter_id=past.pk, author=doctor, sign=True, text=text)
    clinical.encounter_close(encounter_id=past.pk)
    wait_replayed()
    page = browse("drp")
    page.goto(f"/patients/{patient.pk}/")
    open_tab(page, "Visits")
    visits = page.get_by_role("region", name="Visits")
    expect(visits.get_by_role("row")).to_have_count(3)
    visits.get_by_role("row", name=re.compile("Inpatient")).get_by_role("link").first.click()

    expect(page.get_by_role("heading", name="Inpatient visit, Medicine")).to_be_visible()
    expect(page.get_by_role("region", name="Diagnoses")).to_contain_text("J18.9 Pneumonia, unspecified organism")
    expect(page.get_by_role("region", name="Vitals").get_by_role("row")).to_have_count(3)
    notes = page.get_by_role("region", name="Notes")
    expect(notes).to_contain_text("Community-acquired pneumonia")
    expect(notes.get_by_role("form", name="Write a note")).to_have_count(0)  # the visit is closed
    expect(notes.get_by_role("link", name="Amend")).to_be_visible()  # but a signed note can be amended
    shots(page, "chart-past-visit")
    page.get_by_role("link", name="Printable visit summary").click()
    expect(page.get_by_text("St Elsewhere Hospital")).to_be_visible()
    expect(page.get_by_role("heading", name="Visit summary")).to_be_visible()
    expect(page.get_by_text("Amoxicillin")).to_be_visible()
    shot(page, "chart-visit-summary")


def test_a_clinician_writes_signs_and_amends_a_note_then_closes_the_encounter(browse):
    doctor = UserFactory(username="drn", first_name="Ada", last_name="Okoro", roles=["clinician"])
    patient, _, visit = _patient_with_two_visits(doctor)
    clinical.encounter_close(encounter_id=_.pk)
    page = browse("drn")
    page.goto(f"/patients/{patient.pk}/")

    open_record(page, "Clinical note")
    form = page.get_by_role("form", name="Write a note")
    expect(form.get_by_label("Note")).to_have_value(re.compile(r"^Subjective:\n+Objective:\n+Assessment:\n+Plan:"))
    form.get_by_role("button", name="Save draft").click()  # the bare template: nothing written
    expect(page.get_by_role("alert", name=re.compile("Nothing was saved"))).to_contain_text(
        "Write the note before saving it."
    )
    assert not ClinicalNote.objects.using("default").exists()
    form = page.get_by_role("form", name="Write a note")
    form.get_by_label("Note").fill(
        "Subjective:\nWound sore.\n\nObjective:\nClean, no discharge.\n\nAssessment:\nHealing.\n\nPlan:\nReview 1 week"
    )
    form.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft note saved.")).to_be_visible()
    draft = ClinicalNote.objects.using("default").get()
    assert (draft.status, draft.author.username, draft.encounter_id) == ("draft", "drn", visit.pk)

    # Closing asks first, and names the unsigned draft.
    page.get_by_role("link", name="Close this encounter…").click()
    expect(page.get_by_role("heading", name="Close this encounter?")).to_be_visible()
    expect(page.get_by_role("note", name="Before closing")).to_contain_text(
        f"Note #{draft.pk} by Ada Okoro is an unsigned draft."
    )
    shots(page, "chart-close-confirm")
    page.get_by_role("link", name="Open it").click()

    note = page.locator(f"#note-{draft.pk}")
    note.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Note signed.")).to_be_visible()
    draft.refresh_from_db(using="default")
    assert draft.status == "signed" and draft.signed_at is not None

    page.locator(f"#note-{draft.pk}").get_by_role("link", name="Amend").click()
    amend = page.get_by_role("form", name="Amend the note")
    expect(amend.get_by_label("Note")).to_have_value(re.compile("Review 1 week"))
    amend.get_by_label("Note").fill(draft.text.replace("Review 1 week", "Review in 2 weeks"))
    amend.get_by_role("button", name="Sign amendment").click()
    expect(page.get_by_text("Amendment signed.")).to_be_visible()
    amendment = ClinicalNote.objects.using("default").get(amends=draft)
    assert amendment.signed and "Review in 2 weeks" in amendment.text
    assert ClinicalNote.objects.using("default").get(pk=draft.pk).text == draft.text  # the original as signed
    original = page.locator(f"#note-{draft.pk}")
    expect(original).to_contain_text(f"amended by note #{amendment.pk}")
    expect(original.get_by_role("link", name="Amend")).to_have_count(0)
    expect(page.locator(f"#note-{amendment.pk}")).to_contain_text(f"amends note #{draft.pk}")
    shots(page, "chart-note-amended")

    page.get_by_role("link", name="Close this encounter…").click()
    expect(page.get_by_role("note", name="Before closing")).not_to_contain_text("unsigned draft")
    page.get_by_role("button", name="Close encounter").click()
    expect(page.get_by_text("Encounter closed.")).to_be_visible()
    assert Encounter.objects.using("default").get(pk=visit.pk).status == "closed"
    expect(page.get_by_role("region", name="Record")).to_contain_text("No open encounter")
    shots(page, "chart-summary")
