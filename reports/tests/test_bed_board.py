"""The bed board: from the projection (Redis summary and views alike), with alert counts, polled as JSON,
drawn for each role, and following the writes through the outbox and a real worker."""

import json
import re
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinical import commands as clinical
from core.audit.models import AuditEvent
from inpatient import commands
from inpatient.models import Admission, Bed
from reports.engine import refresh, store
from reports.queries.beds import bed_board, bed_board_json
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.factories.inpatient import inpatient_encounter, local, ward
from tests.support.stack import on_stack, shot, sign_in, wait_replayed, wait_until

pytestmark = on_stack


@pytest.fixture
def board():
    """One ward with a bed in every status, and a patient with a critical lab result (one alert)."""
    w = ward(beds=6, code="MED", name="Medical")
    beds = {b.label: b for b in Bed.objects.filter(ward=w)}
    quixley = inpatient_encounter(patient=PatientFactory(family_name="Quixley", given_name="Zenobia", mrn="PHI1"))
    admitted = commands.admission_admit(encounter_id=quixley.pk, bed_id=beds["1"].pk, admitted_at=local(2, 10))
    clinical.lab_result_record(encounter_id=quixley.pk, test="2823-3", value=Decimal("7.2"))  # critically high K+
    ordered = commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=beds["2"].pk)
    commands.admission_order_discharge(admission_id=ordered.pk)
    leaving = commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=beds["3"].pk)
    commands.admission_order_discharge(admission_id=leaving.pk)
    commands.admission_discharge(admission_id=leaving.pk)  # bed 3: cleaning
    commands.bed_set_status(bed_id=beds["4"].pk, status="out_of_service", note="Broken rail")
    full = ward(beds=0, code="SURG", name="Surgical")
    commands.bed_create(ward_id=full.pk, label="1")
    commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=full.pk)
    waiting = commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=w.pk)  # takes bed 5
    # bed 6 is free: an urgent request for the ward gets it held at once
    queued = commands.admission_request_create(encounter_id=inpatient_encounter().pk, ward_id=w.pk, priority="urgent")
    commands.bed_set_status(bed_id=beds["4"].pk, status="free")  # back in service, and nobody else waits
    for name in ("bed_board", "patient_alerts"):
        refresh.refresh(name, force=True)
    return {
        "ward": w,
        "beds": beds,
        "admitted": admitted,
        "patient": quixley.patient,
        "queued": queued,
        "waiting": waiting,
    }


def _beds(answer, ward_id):
    (found,) = [w for w in answer["wards"] if w["id"] == ward_id]
    return {bed["label"]: bed for bed in found["beds"]}, found


def test_the_board_shows_every_bed_with_its_status_patient_days_and_alerts(board):
    answer = bed_board()
    assert answer["source"] == "redis" and answer["fresh_as_of"]
    beds, medical = _beds(answer, board["ward"].pk)
    assert {label: bed["status"] for label, bed in beds.items()} == {
        "1": "occupied",
        "2": "occupied",
        "3": "cleaning",
        "4": "free",
        "5": "occupied",
        "6": "reserved",
    }
    assert beds["1"]["name"] == "Quixley, Zenobia" and beds["1"]["days"] == 2 and not beds["1"]["discharge_ordered"]
    assert beds["2"]["discharge_ordered"] and beds["2"]["days"] == 0
    assert beds["6"]["reserved_request"] == board["queued"].pk and beds["6"]["reserved_for"]
    assert "name" not in beds["3"] and "name" not in beds["4"] and "note" not in beds["4"]
    assert medical["counts"] == {"free": 1, "occupied": 3, "reserved": 1, "cleaning": 1, "out_of_service": 0}
    assert answer["alerts"] == {str(board["patient"].pk): 1}
    assert answer["totals"]["occupied"] == 4 and answer["totals"]["in_service"] == 7
    assert bed_board(with_alerts=False)["alerts"] is None


def test_redis_and_the_views_give_the_same_board(board):
    from_redis = bed_board()
    store.redis().delete(*store.redis().keys("*bed_board*"))
    from_views = bed_board()
    assert from_redis["source"] == "redis" and from_views["source"] == "materialized_view"
    assert from_views["wards"] == from_redis["wards"]
    assert from_views["totals"] == from_redis["totals"]
    assert bed_board(ward_id=board["ward"].pk)["wards"] == [
        w for w in from_views["wards"] if w["id"] == board["ward"].pk
    ]


def test_polling_answers_unchanged_until_the_board_moves_and_brief_answers_name_nobody(board):
    full = json.loads(bed_board_json())
    assert "Quixley" in json.dumps(full) and full["wards"]
    unchanged = json.loads(bed_board_json(since=full["version"]))
    assert unchanged.pop("stale_seconds") >= 0  # grows between two reads: compared apart
    assert unchanged == {
        **{k: full[k] for k in ("source", "database", "refreshed_at", "fresh_as_of", "version")},
        "unchanged": True,
    }
    brief = bed_board_json(brief=True)
    assert "Quixley" not in brief and "wards" not in json.loads(brief)
    commands.bed_set_status(bed_id=board["beds"]["3"].pk, status="free")
    refresh.refresh("bed_board")
    moved = json.loads(bed_board_json(since=full["version"]))
    assert "unchanged" not in moved and moved["version"] != full["version"]


def test_each_role_sees_the_board_as_its_permissions_allow(board, client):
    nurse = UserFactory(username="ward-nurse", roles=["nurse"])
    desk = UserFactory(username="desk", roles=["front_desk"])
    sign_in(client, nurse)
    page = client.get(reverse("board:board")).content.decode()
    seen = AuditEvent.objects.filter(model="inpatient.bed_board", user_id=nurse.pk).get()  # one event per view
    assert seen.action == "list" and seen.detail == "ward=all patients=4" and seen.patient_id is None
    assert "Quixley, Zenobia" in page and "bed-cleaning" in page and "1 alert" in page and "Cleaned</button>" in page
    # the drawing is shared by every reader; each gets their own CSRF token in its forms
    assert "__CSRF__" not in page and 'name="csrfmiddlewaretoken" value="' in page
    assert "Discharge ordered" in page and "Held for" in page
    home = client.get("/").content.decode()  # the nurses' landing page: their ward's patients
    assert "current inpatients" in home and "Quixley, Zenobia" in home
    sign_in(client, desk)
    page = client.get(reverse("board:board")).content.decode()
    assert "Quixley, Zenobia" in page and "1 alert" not in page and "Cleaned</button>" not in page
    data = client.get(reverse("board:data")).json()
    assert data["alerts"] is None
    sign_in(client, UserFactory(username="biller", roles=["billing_clerk"]))
    assert client.get(reverse("board:board")).status_code == 403


def test_the_page_shows_the_version_its_polling_compares_with(board, client):
    sign_in(client, UserFactory(username="ward-nurse3", roles=["nurse"]))
    page = client.get(reverse("board:board")).content.decode()
    (shown,) = re.findall(r'data-version="([^"]+)"', page)
    polled = client.get(reverse("board:data"), {"brief": "1", "since": shown}).json()
    assert polled["unchanged"] is True and "/" in shown  # the alert counts are part of the version


def test_a_filtered_board_shows_one_ward(board, client):
    sign_in(client, UserFactory(username="ward-nurse2", roles=["nurse"]))
    page = client.get(reverse("board:board"), {"ward": board["ward"].pk}).content.decode()
    assert 'aria-labelledby="ward-' in page and page.count('class="ward"') == 1 and ">Medical <" in page


def test_an_admission_is_on_the_board_within_a_second_of_its_commit(celery_worker_process):
    w = ward(beds=2, code="OBS", name="Observation")
    encounter = inpatient_encounter(patient=PatientFactory(family_name="Arrow"))
    refresh.refresh("bed_board", force=True)
    wait_replayed()
    delays = []
    for label in ("1", "2"):
        started = time.monotonic()
        commands.admission_admit(encounter_id=encounter.pk, bed_id=Bed.objects.get(ward=w, label=label).pk)

        def shown(label=label, name=f"Arrow, {encounter.patient.given_name}"):
            beds, _ = _beds(bed_board(with_alerts=False), w.pk)
            return beds[label].get("name") == name

        wait_until(shown, timeout=10, interval=0.05, message="the admission on the board")
        delays.append(time.monotonic() - started)
        if label == "1":
            admission = encounter.admissions.get()
            commands.admission_order_discharge(admission_id=admission.pk)
            commands.admission_discharge(admission_id=admission.pk)
            encounter = inpatient_encounter(patient=encounter.patient)
    print(f"\ncommit -> on the board: {', '.join(f'{d:.2f} s' for d in delays)}")
    assert max(delays) < 5  # the goal is 1 s at p95 (bench); a loaded test machine gets some slack


def test_a_nurse_admits_from_the_bed_board_transfers_and_discharges_in_a_browser(browse, celery_worker_process):
    w = ward(beds=3, name="Medical ward", code="MW")
    ward(beds=2, name="Surgical ward", code="SW")
    encounter = inpatient_encounter(patient=PatientFactory(family_name="Okafor", given_name="Amara"))
    UserFactory(username="nurse-ann", roles=["nurse"])
    UserFactory(username="dr-bee", roles=["clinician"])
    refresh.refresh("bed_board", force=True)

    page = browse("nurse-ann")
    expect(page.get_by_role("heading", name=re.compile("current inpatients"))).to_be_visible()  # her landing page
    page.get_by_role("link", name="Beds").click()
    expect(page.get_by_role("heading", name="Bed board")).to_be_visible()
    bed2 = page.locator(f'li.bed[data-bed="{Bed.objects.get(ward=w, label="2").pk}"]')
    bed2.get_by_role("link", name="Admit here").click()
    expect(page.get_by_role("heading", name="Admit a patient")).to_be_visible()
    page.get_by_label("Patient (open inpatient encounter)").select_option(value=str(encounter.pk))
    shot(page, "inpatient-admit")
    page.get_by_role("button", name="Admit").click()
    expect(page.get_by_text("Admitted.")).to_be_visible()
    # The board follows the commit through the outbox and the worker, and redraws itself when it moves.
    expect(bed2.get_by_role("link", name="Okafor, Amara")).to_be_visible(timeout=20000)
    expect(bed2).to_have_class(re.compile("bed-occupied"))
    shot(page, "inpatient-bed-board")

    bed2.get_by_role("link", name="Okafor, Amara").click()
    page.get_by_label("To bed").select_option(label="Medical ward — bed 3")
    page.get_by_role("button", name="Transfer").click()
    expect(page.get_by_text("Transferred; the old bed is waiting to be cleaned.")).to_be_visible()
    expect(page.get_by_text("Transfer: Medical ward, bed 3")).to_be_visible()
    admission_url = page.url

    doctor = browse("dr-bee")
    doctor.goto(admission_url)
    doctor.get_by_label("Follow-up").fill("GP in one week")
    doctor.get_by_role("button", name="Order discharge").click()
    expect(doctor.get_by_text("Discharge ordered: the bed stays the patient's until they leave.")).to_be_visible()

    page.reload()
    shot(page, "inpatient-admission")
    page.get_by_role("button", name="Discharge now").click()
    expect(page.get_by_text("Discharged; the bed is waiting to be cleaned.")).to_be_visible()
    page.get_by_role("link", name="Bed board").click()
    bed3 = page.locator(f'li.bed[data-bed="{Bed.objects.get(ward=w, label="3").pk}"]')
    expect(bed3).to_have_class(re.compile("bed-cleaning"), timeout=20000)
    bed3.get_by_role("button", name="Cleaned").click()
    expect(page.get_by_text("is free.")).to_be_visible()
    expect(bed3).to_have_class(re.compile("bed-free"), timeout=20000)
    admission = Admission.objects.get(encounter=encounter)
    assert admission.status == "discharged" and admission.follow_up == "GP in one week"
    assert [a.bed.label for a in admission.assignments.order_by("started_at")] == ["2", "3"]
