"""The appointments report and the queue board against independent calculations, on the real stack.

A hand-built clinic day (two departments, three clinicians, bookings, a move, a cancellation, arrivals,
walk-ins, patients who left, no-shows) is driven through the commands at known times; the report's figures
are checked against what the story says, counted by hand and computed in Python from the story's own
record of arrivals and consultations. The projection is refreshed after each phase, so it is kept key by
key as it would be in production, and must then agree with a whole recomputation (reconciliation).
"""

import datetime
import time

import pytest
import time_machine
from django.test import override_settings

from reports import queries
from reports.catalog import REPORTS
from reports.engine import refresh
from reports.engine.reconcile import reconcile
from scheduling import commands
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory
from tests.support.factories.scheduling import clinic, free_slots
from tests.support.stack import on_stack, sign_in, wait_replayed, wait_until

UTC = datetime.UTC
MONDAY, TUESDAY = datetime.date(2027, 6, 7), datetime.date(2027, 6, 8)
MINUTE = 60


def at(hour: int, minute: int = 0, day: datetime.date = MONDAY) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


class Story:
    """Drives the commands at given times and records, independently of the database, every wait."""

    def __init__(self):
        self.waits: list[tuple[str, int, int]] = []  # (department, provider id, seconds) of those seen

    def check_in(self, appointment, when):
        with time_machine.travel(when, tick=False):
            return commands.appointment_check_in(appointment_id=appointment.pk)

    def walk_in(self, department, when):
        with time_machine.travel(when, tick=False):
            return commands.walk_in_check_in(patient_id=PatientFactory().pk, department_id=department.pk)

    def see(self, entry, doctor, called, started, department_code):
        with time_machine.travel(called, tick=False):
            commands.queue_call(entry_id=entry.pk, called_by=doctor)
        with time_machine.travel(started, tick=False):
            commands.queue_start(entry_id=entry.pk, by=doctor)
        with time_machine.travel(started + datetime.timedelta(minutes=10), tick=False):
            commands.queue_finish(entry_id=entry.pk, by=doctor)
        self.waits.append((department_code, doctor.pk, int((started - entry.arrived_at).total_seconds())))

    def leaves(self, entry, when):
        with time_machine.travel(when, tick=False):
            commands.queue_leave(entry_id=entry.pk, note="Could not wait")


def refreshed():
    refresh.refresh("appointments")
    refresh.refresh("queue_board")


@pytest.fixture
def clinic_day(settings):
    settings.SCHEDULING_SLOT_HORIZON_DAYS = 1
    settings.SCHEDULING_NO_SHOW_GRACE_MINUTES = 30
    opd, ent = (
        DepartmentFactory(code="OPD", name="Outpatients"),
        DepartmentFactory(code="ENT", name="Ear, nose, throat"),
    )
    x, y, z = (UserFactory(first_name=n, last_name="Doctor", roles=["clinician"]) for n in ("Xena", "Yusuf", "Zara"))
    story = Story()
    with time_machine.travel(at(6), tick=False):
        xs = clinic(department=opd, provider=x, start=datetime.time(9), end=datetime.time(10))
        ys = clinic(
            department=opd, provider=y, start=datetime.time(13), end=datetime.time(14), slot_minutes=30, capacity=2
        )
        zs = clinic(department=ent, provider=z, start=datetime.time(9), end=datetime.time(9, 30))
        refreshed()  # the first refresh is whole; every later one goes key by key
        x_mon, x_tue = list(free_slots(xs, day=MONDAY)), list(free_slots(xs, day=TUESDAY))
        y_mon, z_mon = list(free_slots(ys, day=MONDAY)), list(free_slots(zs, day=MONDAY))
        p = [commands.appointment_book(patient_id=PatientFactory().pk, slot_id=s.pk) for s in x_mon]
        q = [
            commands.appointment_book(patient_id=PatientFactory().pk, slot_id=s.pk)
            for s in (y_mon[0], y_mon[0], y_mon[1])
        ]
        zz = [commands.appointment_book(patient_id=PatientFactory().pk, slot_id=s.pk) for s in z_mon]
        commands.appointment_reschedule(appointment_id=p[3].pk, slot_id=x_tue[0].pk)  # Monday -> Tuesday
        commands.appointment_book(patient_id=PatientFactory().pk, slot_id=x_tue[1].pk)
        commands.appointment_cancel(appointment_id=zz[1].pk, reason="Feeling better")
    refreshed()

    story.see(story.check_in(p[0], at(8, 50)), x, at(9, 5), at(9, 6), "OPD")  # waited 16 min
    story.see(story.check_in(p[1], at(9, 10)), x, at(9, 35), at(9, 40), "OPD")  # 30 min
    story.see(story.check_in(zz[0], at(9, 0)), z, at(9, 1), at(9, 2), "ENT")  # 2 min
    story.see(story.walk_in(opd, at(10, 0)), x, at(10, 9), at(10, 10), "OPD")  # 10 min, a walk-in X took
    story.leaves(story.walk_in(opd, at(10, 5)), at(10, 50))  # nobody saw them
    refreshed()
    story.see(story.check_in(q[0], at(12, 50)), y, at(13, 0), at(13, 5), "OPD")  # 15 min
    story.leaves(story.check_in(q[1], at(12, 55)), at(13, 30))
    with time_machine.travel(at(23), tick=False):
        assert commands.appointments_mark_no_shows() == 2  # p[2] and q[2]; zz[1] was cancelled
    refreshed()
    return {"opd": opd, "ent": ent, "x": x, "y": y, "z": z, "story": story}


SUMS = ("slots", "capacity", "slot_booked", "booked", "attended", "no_shows", "cancelled", "arrivals", "walk_ins")
MORE = ("seen", "left_unseen", "wait_seconds", "no_show_rate", "utilisation", "average_wait_minutes")


def figures(row: dict) -> tuple:
    return tuple(row[k] for k in (*SUMS, *MORE))


@on_stack
def test_report_figures_match_the_story_counted_by_hand_and_in_python(clinic_day):
    wait_replayed()
    story = clinic_day["story"]

    by_department = queries.appointment_figures(start=MONDAY, end=TUESDAY, group_by="department")

    rows = {r["name"]: figures(r) for r in by_department["rows"]}
    # slots cap s_bkd bkd att no-sh canc arr walk seen left wait   no-show% util% wait-min
    assert rows == {
        "Outpatients": (12, 16, 8, 8, 4, 2, 0, 6, 2, 4, 2, 4260, 33.3, 50.0, 17.8),
        "Ear, nose, throat": (4, 4, 1, 1, 1, 0, 1, 1, 0, 1, 0, 120, 0.0, 25.0, 2.0),
    }
    assert figures(by_department["totals"]) == (16, 20, 9, 9, 5, 2, 1, 7, 2, 5, 2, 4380, 28.6, 45.0, 14.6)

    # The waits again, computed in Python from the story's own record (not from the database).
    for department, code in (("Outpatients", "OPD"), ("Ear, nose, throat", "ENT")):
        waits = [seconds for dept, _, seconds in story.waits if dept == code]
        row = next(r for r in by_department["rows"] if r["name"] == department)
        assert row["wait_seconds"] == sum(waits) and row["seen"] == len(waits)
        assert row["average_wait_minutes"] == round(sum(waits) / len(waits) / 60, 1)

    monday = queries.appointment_figures(start=MONDAY, end=MONDAY, group_by="provider")
    providers = {r["key"]: r for r in monday["rows"]}
    x, y, z = clinic_day["x"].pk, clinic_day["y"].pk, clinic_day["z"].pk
    assert {k: (r["booked"], r["attended"], r["no_shows"], r["arrivals"], r["seen"]) for k, r in providers.items()} == {
        x: (3, 2, 1, 3, 3),  # the walk-in X called counts as X's
        y: (3, 2, 1, 2, 1),
        z: (1, 1, 0, 1, 1),
        0: (0, 0, 0, 1, 0),  # the walk-in nobody saw
    }
    for provider in (x, y, z):
        waits = [seconds for _, who, seconds in story.waits if who == provider]
        assert providers[provider]["wait_seconds"] == sum(waits)

    by_day = queries.appointment_figures(start=MONDAY, end=TUESDAY, group_by="day")
    assert [(r["name"], r["booked"], r["utilisation"]) for r in by_day["rows"]] == [
        ("2027-06-07", 7, 70.0),
        ("2027-06-08", 2, 20.0),
    ]
    assert [s["day"] for s in by_day["series"]] == [MONDAY, TUESDAY]


@on_stack
def test_the_table_kept_key_by_key_agrees_with_a_whole_recomputation(clinic_day):
    run = reconcile("appointments", repair=False)
    assert not run.drift, run.as_dict()


@on_stack
def test_the_report_page_api_and_csv_show_the_same_figures(clinic_day, client):
    sign_in(client, UserFactory(username="analyst", roles=["report_viewer"]))
    params = {"start": "2027-06-07", "end": "2027-06-08"}
    api = client.get("/api/v1/reports/appointments/", params).json()
    page = client.get("/reports/appointments/", params)
    csv = client.get("/reports/appointments/", {**params, "format": "csv"})
    assert page.status_code == 200 and "Outpatients" in page.content.decode()
    text = b"".join(csv.streaming_content).decode()
    assert "Outpatients" in text and "TOTAL" in text
    opd = next(r for r in api["rows"] if r["name"] == "Outpatients")
    assert (opd["booked"], opd["no_shows"], opd["no_show_rate"]) == (8, 2, 33.3)
    assert REPORTS["appointments"].title in page.content.decode()


@on_stack
def test_the_queue_board_follows_check_ins_through_the_worker_onto_a_standby(celery_worker_process, api_as):
    with override_settings(SCHEDULING_SLOT_HORIZON_DAYS=1):
        schedule = clinic()
    desk, doctor_api = api_as("front_desk"), api_as("clinician")
    board = f"/api/v1/queue/board/?department={schedule.department_id}"
    patient = PatientFactory(given_name="Amara", family_name="Okafor")

    started = time.monotonic()
    walk_in = {"patient": patient.pk, "department": schedule.department_id, "provider": schedule.provider_id}
    made = desk.post("/api/v1/queue/", walk_in, format="json")
    assert made.status_code == 201, made.json()

    answer = wait_until(
        lambda: (found := doctor_api.get(board).json())["totals"]["waiting"] == 1 and found,
        timeout=15,
        message="the walk-in on the board",
    )
    print(f"\ncheck-in -> on the board: {time.monotonic() - started:.2f} s")
    (row,) = answer["waiting"]
    assert row["display_name"] == "Amara O." and row["ticket"] == "001" and row["wait_seconds"] >= 0
    assert answer["source"] == "materialized_view" and answer["database"].startswith("replica")
    assert answer["stale_seconds"] is not None
    assert "Okafor" not in str(answer)  # the board shortens names
