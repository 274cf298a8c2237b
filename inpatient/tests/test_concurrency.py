"""Clerks at the same moment, on real parallel connections: the beds never hold two patients."""

import threading

import psycopg
import pytest
from django.db import connections

from core.errors import Conflict
from inpatient import commands
from inpatient.models import Admission, AdmissionRequest, Bed
from tests.support.factories.inpatient import inpatient_encounter, ward
from tests.support.stack import in_parallel, on_stack

pytestmark = on_stack

DOUBLE_BOOKED = """
SELECT count(*) FROM inpatient_bedassignment x JOIN inpatient_bedassignment y
  ON x.bed_id = y.bed_id AND x.id < y.id AND NOT x.cancelled AND NOT y.cancelled
 AND tstzrange(x.started_at, x.ended_at) && tstzrange(y.started_at, y.ended_at)
"""


def conninfo() -> str:
    db = connections["default"].settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=str(db["PORT"]), password=db["PASSWORD"] or ""
    )


def _sql(sql: str) -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_twenty_admissions_at_once_into_the_last_three_beds_admit_three_and_queue_seventeen():
    w = ward(beds=5)
    for label in ("1", "2"):  # two of the five beds are taken already
        commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=Bed.objects.get(ward=w, label=label).pk)
    encounters = [inpatient_encounter().pk for _ in range(20)]

    outcomes = in_parallel(20, lambda i: commands.admission_admit(encounter_id=encounters[i], ward_id=w.pk))

    errors = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, Conflict)]
    assert not errors, errors
    admitted = [o for o in outcomes if isinstance(o, Admission)]
    queued = [o for o in outcomes if isinstance(o, AdmissionRequest)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(admitted) == 3
    assert len(queued) + len(refused) == 17
    assert AdmissionRequest.objects.filter(status="waiting").count() == len(queued)
    assert Admission.objects.filter(status="admitted").count() == 5
    assert Bed.objects.filter(ward=w, status="occupied").count() == 5
    assert len({a.pk for a in admitted}) == 3
    assert _sql(DOUBLE_BOOKED) == 0  # checked by SQL: no bed ever holds two patients at once


def test_two_clerks_assigning_the_same_bed_at_once_cannot_both_succeed():
    w = ward(beds=1)
    bed = Bed.objects.get(ward=w)
    encounters = [inpatient_encounter().pk for _ in range(2)]

    outcomes = in_parallel(2, lambda i: commands.admission_admit(encounter_id=encounters[i], bed_id=bed.pk))

    assert sum(isinstance(o, Admission) for o in outcomes) == 1
    (refused,) = [o for o in outcomes if not isinstance(o, Admission)]
    assert isinstance(refused, Conflict) and refused.status == 409
    assert Admission.objects.count() == 1 and _sql(DOUBLE_BOOKED) == 0


def test_the_database_alone_stops_two_transactions_putting_patients_in_one_bed():
    """Two connections insert overlapping assignments for one bed with no lock taken first (as a buggy or
    hand-written writer would): the exclusion constraint makes the second wait for the first, then fail."""
    w = ward(beds=1)
    bed = Bed.objects.get(ward=w)
    admissions = []
    for _ in range(2):  # two admissions, each first in a bed of its own ward, then both aimed at `bed`
        other = ward(beds=1)
        admissions.append(
            commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=Bed.objects.get(ward=other).pk)
        )
    insert = (
        "INSERT INTO inpatient_bedassignment"
        " (admission_id, patient_id, bed_id, reason, started_at, ended_at, cancelled) VALUES"
        " (%s, %s, %s, 'transfer', now() - interval '1 hour', now() - interval '1 minute', false)"
    )
    first, second = psycopg.connect(conninfo()), psycopg.connect(conninfo())
    try:
        first.execute(insert, (admissions[0].pk, admissions[0].patient_id, bed.pk))  # open transaction
        outcome = {}

        def race():
            try:
                second.execute(insert, (admissions[1].pk, admissions[1].patient_id, bed.pk))
                second.commit()
                outcome["second"] = "committed"
            except psycopg.errors.ExclusionViolation as exc:
                second.rollback()
                outcome["second"] = exc.diag.constraint_name

        racer = threading.Thread(target=race)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive(), "the second insert must wait for the first transaction"
        first.commit()
        racer.join(timeout=10)
        assert outcome == {"second": "bed_holds_one_patient_at_a_time"}
    finally:
        first.close()
        second.close()
    assert _sql(DOUBLE_BOOKED) == 0


@pytest.mark.parametrize("clerks", [8])
def test_transfers_racing_into_one_free_bed_move_exactly_one_patient(clerks):
    target_ward, source = ward(beds=1), ward(beds=clerks)
    target = Bed.objects.get(ward=target_ward)
    admissions = [
        commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=b.pk)
        for b in Bed.objects.filter(ward=source).order_by("id")
    ]

    outcomes = in_parallel(
        clerks, lambda i: commands.admission_transfer(admission_id=admissions[i].pk, bed_id=target.pk)
    )

    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, Exception))
    assert Bed.objects.filter(ward=source, status="cleaning").count() == 1
    assert _sql(DOUBLE_BOOKED) == 0
