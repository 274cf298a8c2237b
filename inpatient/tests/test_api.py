"""The inpatient API: admit (201) or queue (202), 409 for a bed that is not free, the ward's actions by
role, per-field errors, and Idempotency-Key."""

import pytest

from billing.models import InvoiceLine
from inpatient.models import Admission, AdmissionRequest, Bed, BedAssignment
from tests.support.factories.clinical import DepartmentFactory
from tests.support.factories.inpatient import inpatient_encounter, local, ward

pytestmark = pytest.mark.django_db


def post(client, path, body=None, **headers):
    return client.post(path, body or {}, format="json", **headers)


def test_the_ward_admits_transfers_and_discharges_through_the_api_each_step_by_its_role(api_as):
    nurse, desk, doctor = api_as("nurse"), api_as("front_desk"), api_as("clinician")
    w = ward(beds=2)
    b1, b2 = (Bed.objects.get(ward=w, label=label) for label in ("1", "2"))
    encounter = inpatient_encounter()

    admitted = post(desk, "/api/v1/admissions/", {"encounter": encounter.pk, "bed": b1.pk})
    assert admitted.status_code == 201, admitted.json()
    admission = admitted.json()
    assert admission["bed"] == b1.pk and admission["status"] == "admitted" and len(admission["history"]) == 1

    moved = post(desk, f"/api/v1/admissions/{admission['id']}/transfer/", {"bed": b2.pk})
    assert moved.status_code == 200 and moved.json()["bed"] == b2.pk
    assert [h["bed"] for h in moved.json()["history"]] == [b1.pk, b2.pk]

    assert post(nurse, f"/api/v1/admissions/{admission['id']}/order-discharge/").status_code == 403
    assert post(nurse, f"/api/v1/admissions/{admission['id']}/discharge/").status_code == 409  # not ordered
    ordered = post(doctor, f"/api/v1/admissions/{admission['id']}/order-discharge/", {"follow_up": "Clinic, 2 weeks"})
    assert ordered.status_code == 200 and ordered.json()["follow_up"] == "Clinic, 2 weeks"
    assert post(desk, f"/api/v1/admissions/{admission['id']}/discharge/").status_code == 403
    left = post(nurse, f"/api/v1/admissions/{admission['id']}/discharge/")
    assert left.status_code == 200 and left.json()["status"] == "discharged" and left.json()["bed"] is None

    assert nurse.get(f"/api/v1/beds/{b2.pk}/").json()["status"] == "cleaning"
    assert post(desk, f"/api/v1/beds/{b2.pk}/status/", {"status": "free"}).status_code == 403
    cleaned = post(nurse, f"/api/v1/beds/{b2.pk}/status/", {"status": "free"})
    assert cleaned.status_code == 200 and cleaned.json()["status"] == "free"


def test_a_bed_that_is_not_free_is_409_and_a_full_ward_queues_with_202(api_as):
    desk = api_as("front_desk")
    w = ward(beds=1)
    bed = Bed.objects.get(ward=w)
    assert post(desk, "/api/v1/admissions/", {"encounter": inpatient_encounter().pk, "bed": bed.pk}).status_code == 201
    late = inpatient_encounter()
    taken = post(desk, "/api/v1/admissions/", {"encounter": late.pk, "bed": bed.pk})
    assert taken.status_code == 409 and list(taken.json()["errors"]) == ["bed"]
    queued = post(desk, "/api/v1/admissions/", {"encounter": late.pk, "ward": w.pk, "priority": "urgent"})
    assert queued.status_code == 202
    assert queued.json()["status"] == "waiting" and queued.json()["priority"] == "urgent"
    assert not Admission.objects.filter(encounter=late).exists()
    listed = desk.get("/api/v1/admission-requests/", {"status": "waiting"}).json()["results"]
    assert [r["encounter"] for r in listed] == [late.pk]
    assert post(desk, f"/api/v1/admission-requests/{listed[0]['id']}/cancel/").status_code == 200
    assert AdmissionRequest.objects.get(pk=listed[0]["id"]).status == "cancelled"


def test_bad_input_is_400_by_field_and_writes_nothing(api_as):
    desk = api_as("front_desk")
    w = ward(beds=1)
    bed = Bed.objects.get(ward=w)
    missing = post(desk, "/api/v1/admissions/", {"encounter": 999999, "bed": bed.pk})
    assert missing.status_code == 400 and "encounter" in missing.json()["errors"]
    nowhere = post(desk, "/api/v1/admissions/", {"encounter": inpatient_encounter().pk})
    assert nowhere.status_code == 400 and "bed" in nowhere.json()["errors"]
    future = post(
        desk,
        "/api/v1/admissions/",
        {"encounter": inpatient_encounter().pk, "bed": bed.pk, "admitted_at": local(-2, 9).isoformat()},
    )
    assert future.status_code == 400 and "admitted_at" in future.json()["errors"]
    assert not BedAssignment.objects.exists() and Bed.objects.get(pk=bed.pk).status == "free"
    admin = api_as("admin")
    ward_made = post(
        admin,
        "/api/v1/wards/",
        {"code": "ICU", "name": "Intensive care", "department": DepartmentFactory().pk, "bed_day_price": "-1"},
    )
    assert ward_made.status_code == 400 and "bed_day_price" in ward_made.json()["errors"]


def test_a_retried_admission_with_the_same_idempotency_key_admits_once(api_as):
    desk = api_as("front_desk")
    w = ward(beds=2)
    body = {"encounter": inpatient_encounter().pk, "ward": w.pk}
    first = post(desk, "/api/v1/admissions/", body, HTTP_IDEMPOTENCY_KEY="adm-1")
    again = post(desk, "/api/v1/admissions/", body, HTTP_IDEMPOTENCY_KEY="adm-1")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Admission.objects.count() == 1 and Bed.objects.filter(status="occupied").count() == 1


def test_an_admin_builds_wards_and_beds_and_a_discharge_bills_the_nights(api_as):
    admin = api_as("admin")
    made = post(
        admin,
        "/api/v1/wards/",
        {"code": "GEN", "name": "General", "department": DepartmentFactory().pk, "bed_day_price": "150.00"},
    )
    assert made.status_code == 201
    bed = post(admin, "/api/v1/beds/", {"ward": made.json()["id"], "label": "7"})
    assert bed.status_code == 201 and bed.json()["status"] == "free"
    encounter = inpatient_encounter()
    admitted = post(
        admin,
        "/api/v1/admissions/",
        {"encounter": encounter.pk, "bed": bed.json()["id"], "admitted_at": local(2, 9).isoformat()},
    )
    pk = admitted.json()["id"]
    post(admin, f"/api/v1/admissions/{pk}/order-discharge/")
    post(admin, f"/api/v1/admissions/{pk}/discharge/")
    lines = InvoiceLine.objects.filter(invoice__encounter=encounter)
    assert [str(line.unit_price) for line in lines] == ["150.00", "150.00"]
