"""The ward's pages: forms with their errors, each role's actions, the discharge summary. (A nurse's day in a
real browser, from the bed board: reports/tests/test_bed_board.py.)"""

from django.urls import reverse

from inpatient import commands
from inpatient.models import Admission, Bed
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.factories.inpatient import inpatient_encounter, ward
from tests.support.stack import on_stack, sign_in

pytestmark = on_stack


def test_admitting_into_a_taken_bed_shows_why_and_a_full_ward_sends_the_patient_to_the_queue(client):
    w = ward(beds=1, name="Short stay")
    bed = Bed.objects.get(ward=w)
    commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed.pk)
    late = inpatient_encounter(patient=PatientFactory(family_name="Latecomer"))
    sign_in(client, UserFactory(username="desk-pages", roles=["front_desk"]))
    taken = client.post(reverse("inpatient:admit"), {"encounter_id": late.pk, "bed_id": bed.pk, "priority": "routine"})
    assert taken.status_code == 400  # the bed is no longer a choice, or it is taken: either way, no admission
    assert not Admission.objects.filter(encounter=late).exists()
    queued = client.post(reverse("inpatient:admit"), {"encounter_id": late.pk, "ward_id": w.pk, "priority": "urgent"})
    assert queued.status_code == 302 and queued["Location"] == reverse("inpatient:queue")
    page = client.get(reverse("inpatient:queue")).content.decode()
    assert "Latecomer" in page and "Urgent" in page


def test_the_admission_page_offers_each_role_its_actions_only(client):
    w = ward(beds=2)
    admission = commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=w.pk)
    url = reverse("inpatient:admission", args=[admission.pk])
    for role, shown, hidden in (
        ("nurse", ["Transfer", "Made in error?"], ["Order discharge"]),
        ("clinician", ["Order discharge", "Discharge summary"], ["Made in error?", "<h2>Transfer"]),
        ("front_desk", ["Transfer"], ["Order discharge", "Discharge summary", "<h2>Discharge"]),
    ):
        sign_in(client, UserFactory(username=f"adm-{role}", roles=[role]))
        page = client.get(url).content.decode()
        assert all(text in page for text in shown), role
        assert not any(text in page for text in hidden), role


def test_the_discharge_summary_lists_the_stay_and_what_the_patient_leaves_with(client):
    from clinical import commands as clinical

    w = ward(beds=1, name="Cardiology ward")
    encounter = inpatient_encounter(patient=PatientFactory(family_name="Summary"))
    clinical.diagnosis_record(encounter_id=encounter.pk, code="I21.9", is_primary=True)
    clinical.allergy_record(patient_id=encounter.patient_id, substance="Penicillin", severity="severe", reaction="rash")
    admission = commands.admission_admit(encounter_id=encounter.pk, ward_id=w.pk)
    commands.admission_order_discharge(admission_id=admission.pk, follow_up="Cardiology clinic in 2 weeks")
    commands.admission_discharge(admission_id=admission.pk)
    sign_in(client, UserFactory(username="summary-dr", roles=["clinician"]))
    page = client.get(reverse("chart:discharge_summary", args=[admission.pk])).content.decode()
    for text in (
        "Discharge summary",
        "I21.9",
        "Penicillin",
        "Cardiology clinic in 2 weeks",
        "Cardiology ward bed 1",
        "Home",
    ):
        assert text in page, text
    assert "Draft" not in page
