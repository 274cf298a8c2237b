"""An encounter's attending is a clinician: not a report viewer, not an integrator's service account, not an
inactive or role-less account (a finance officer's review found all of these accepted)."""

import pytest

from clinical import commands
from clinical.models import Encounter
from core.errors import InvalidInput
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory, UserFactory
from tests.support.stack import on_stack

pytestmark = on_stack


def start(attending_id):
    return commands.encounter_start(
        patient_id=PatientFactory().pk,
        type="outpatient",
        department_id=DepartmentFactory().pk,
        attending_id=attending_id,
    )


def test_only_an_active_clinician_may_attend(api_as):
    api_as("clinician")  # an integrator whose service account holds the clinician role
    from core.models import ApiClient

    service_account = ApiClient.objects.get().user
    inactive = UserFactory(username="left", roles=["clinician"])
    inactive.is_active = False
    inactive.save()
    refused = {
        "report viewer": UserFactory(username="rv", roles=["report_viewer"]),
        "front desk": UserFactory(username="fd", roles=["front_desk"]),
        "superuser with no role": UserFactory(username="root2", is_superuser=True),
        "service account": service_account,
        "inactive clinician": inactive,
    }
    for who, user in refused.items():
        with pytest.raises(InvalidInput, match="not a clinician") as caught:
            start(user.pk)
        assert "attending" in caught.value.errors, who
    assert not Encounter.objects.exists()
    doctor = UserFactory(username="dr-attends", roles=["clinician"])
    assert start(doctor.pk).attending == doctor
    encounter = EncounterFactory(attending=doctor)
    with pytest.raises(InvalidInput, match="not a clinician"):
        commands.encounter_update(encounter_id=encounter.pk, attending_id=refused["report viewer"].pk)
    encounter.refresh_from_db()
    assert encounter.attending == doctor


def test_the_api_refuses_an_integrator_as_its_own_attending_with_a_400_on_the_field(api_as):
    api = api_as("clinician")
    body = {"patient": PatientFactory().pk, "type": "outpatient", "department": DepartmentFactory().pk}
    response = api.post("/api/v1/encounters/", body, format="json")
    assert response.status_code == 400 and "attending" in response.json()["errors"]
    doctor = UserFactory(username="dr-api", roles=["clinician"])
    assert api.post("/api/v1/encounters/", {**body, "attending": doctor.pk}, format="json").status_code == 201
    assert list(Encounter.objects.values_list("attending_id", flat=True)) == [doctor.pk]


def test_the_front_desk_starts_a_visit_with_a_chosen_clinician(client):
    doctor = UserFactory(username="dr-choice", first_name="Amara", last_name="Nwosu", roles=["clinician"])
    UserFactory(username="rv-choice", first_name="Report", last_name="Viewer", roles=["report_viewer"])
    patient, department = PatientFactory(), DepartmentFactory()
    client.force_login(UserFactory(username="fd-choice", roles=["front_desk"]))
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Attending clinician" in chart and "Amara Nwosu" in chart and "Report Viewer" not in chart
    form = {"type": "outpatient", "department_id": department.pk}
    missing = client.post(f"/patients/{patient.pk}/encounters/", form)
    assert missing.status_code == 400 and not Encounter.objects.exists()
    done = client.post(f"/patients/{patient.pk}/encounters/", {**form, "attending_id": doctor.pk})
    assert done.status_code == 302
    assert list(Encounter.objects.values_list("attending_id", flat=True)) == [doctor.pk]
