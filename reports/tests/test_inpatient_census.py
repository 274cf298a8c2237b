"""The inpatient census report against an independent calculation in Python over hand-built stays, and
against the bed-days charged for the same midnights; page = API = CSV."""

import csv
import datetime
import io
import itertools
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.utils import timezone

from inpatient import commands
from inpatient.models import Bed, BedDayCharge
from reports.catalog import REPORTS
from reports.engine import refresh
from tests.support.factories.clinical import DepartmentFactory, UserFactory
from tests.support.factories.inpatient import inpatient_encounter
from tests.support.stack import on_stack, sign_in, wait_replayed

pytestmark = on_stack
UTC = datetime.UTC
TODAY = timezone.now().astimezone(UTC).date()


def at(days_ago: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = TODAY - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=UTC)


class Ward:
    def __init__(self, code: str, beds: int, price: str):
        self.code = code
        self.ward = commands.ward_create(
            code=code, name=f"Ward {code}", department_id=DepartmentFactory().pk, bed_day_price=Decimal(price)
        )
        self.beds = {str(n): commands.bed_create(ward_id=self.ward.pk, label=str(n)) for n in range(1, beds + 1)}


class Written:
    """The stays as written, in plain Python: what the independent calculation reads."""

    def __init__(self):
        self.admissions: dict[str, dict] = {}

    def admit(self, key: str, ward: Ward, label: str, when: datetime.datetime):
        admission = commands.admission_admit(
            encounter_id=inpatient_encounter().pk, bed_id=ward.beds[label].pk, admitted_at=when
        )
        self.admissions[key] = {
            "pk": admission.pk,
            "admitted": when,
            "discharged": None,
            "cancelled": False,
            "stays": [[ward.code, when, None]],
        }

    def transfer(self, key: str, ward: Ward, label: str, when: datetime.datetime):
        commands.admission_transfer(
            admission_id=self.admissions[key]["pk"], bed_id=ward.beds[label].pk, transferred_at=when
        )
        stays = self.admissions[key]["stays"]
        stays[-1][2] = when
        stays.append([ward.code, when, None])

    def discharge(self, key: str, when: datetime.datetime):
        pk = self.admissions[key]["pk"]
        commands.admission_order_discharge(admission_id=pk, ordered_at=when - datetime.timedelta(hours=1))
        commands.admission_discharge(admission_id=pk, discharged_at=when)
        self.admissions[key]["discharged"] = when
        self.admissions[key]["stays"][-1][2] = when

    def cancel(self, key: str):
        commands.admission_cancel(admission_id=self.admissions[key]["pk"], reason="wrong patient")
        self.admissions[key]["cancelled"] = True


def clean(*beds: Bed):
    for bed in beds:
        commands.bed_set_status(bed_id=bed.pk, status="free")


@pytest.fixture
def hospital():
    with time_machine.travel(at(10, 8), tick=False):
        a, b = Ward("A", 3, "200.00"), Ward("B", 2, "500.00")
    w = Written()
    w.admit("p1", a, "1", at(8, 10))
    w.admit("p2", a, "2", at(7, 23, 30))
    w.transfer("p1", b, "1", at(6, 12))
    clean(a.beds["1"])
    w.admit("p3", a, "3", at(6, 0))  # exactly at midnight: that midnight counts
    w.discharge("p2", at(5, 15))
    clean(a.beds["2"])
    w.admit("p4", a, "1", at(5, 8))
    w.discharge("p1", at(4, 9))
    clean(b.beds["1"])
    w.admit("p5", b, "2", at(4, 20))
    w.cancel("p5")  # made in error: counts nowhere
    w.admit("p6", b, "2", at(4, 21))
    w.discharge("p6", at(4, 23))  # a same-day stay: no midnight, a length of stay of one day
    clean(b.beds["2"])
    w.transfer("p4", a, "2", at(3, 10))  # within the ward: no transfer in or out
    clean(a.beds["1"])
    w.admit("p7", b, "1", at(2, 14))
    w.transfer("p7", a, "1", at(1, 6))
    clean(b.beds["1"])
    w.admit("p8", b, "1", at(1, 12))
    return {"A": a, "B": b, "written": w}


def _one(numerator, denominator, scale=1):
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def expected(written: Written, beds: dict[str, int], start: datetime.date, end: datetime.date) -> dict:
    """Per ward and per day, computed from what was written: {(ward, day): figures}."""
    days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
    days = [d for d in days if d < TODAY]
    cells = {
        (w, d): dict.fromkeys(("census", "admissions", "discharges", "stay_days", "in", "out"), 0)
        for w in beds
        for d in days
    }
    for adm in written.admissions.values():
        if adm["cancelled"]:
            continue
        stays = adm["stays"]
        for ward, began, ended in stays:
            for d in days:
                midnight = datetime.datetime.combine(d + datetime.timedelta(days=1), datetime.time(), tzinfo=UTC)
                if began <= midnight and (ended is None or ended > midnight):
                    cells[(ward, d)]["census"] += 1
        first_day = adm["admitted"].date()
        if (stays[0][0], first_day) in cells:
            cells[(stays[0][0], first_day)]["admissions"] += 1
        for (ward_from, _, moved), (ward_to, _, _) in itertools.pairwise(stays):
            if ward_from != ward_to:
                if (ward_to, moved.date()) in cells:
                    cells[(ward_to, moved.date())]["in"] += 1
                if (ward_from, moved.date()) in cells:
                    cells[(ward_from, moved.date())]["out"] += 1
        if adm["discharged"] and (stays[-1][0], adm["discharged"].date()) in cells:
            cell = cells[(stays[-1][0], adm["discharged"].date())]
            cell["discharges"] += 1
            cell["stay_days"] += max(1, (adm["discharged"].date() - first_day).days)
    return {"cells": cells, "days": days}


def figures(cells: list[dict], bed_days: int) -> dict:
    patient_days = sum(c["census"] for c in cells)
    discharges = sum(c["discharges"] for c in cells)
    return {
        "patient_days": patient_days,
        "bed_days": bed_days,
        "occupancy": _one(patient_days, bed_days, 100),
        "admissions": sum(c["admissions"] for c in cells),
        "discharges": discharges,
        "transfers_in": sum(c["in"] for c in cells),
        "transfers_out": sum(c["out"] for c in cells),
        "average_stay": _one(sum(c["stay_days"] for c in cells), discharges),
    }


def test_the_census_matches_an_independent_calculation_by_ward_by_day_and_in_total(hospital):
    refresh.refresh("ward_census", force=True)
    beds = {"A": 3, "B": 2}
    start, end = TODAY - datetime.timedelta(days=9), TODAY
    calc = expected(hospital["written"], beds, start, end)
    cells, days = calc["cells"], calc["days"]
    report = REPORTS["inpatient-census"]

    by_ward = report.query(start=start, end=end, ward_id=None, group_by="ward")
    got = {
        row["ward_name"]: {k: v for k, v in row.items() if k not in ("ward_id", "ward_name")} for row in by_ward["rows"]
    }
    assert got == {f"Ward {w}": figures([cells[(w, d)] for d in days], beds[w] * len(days)) for w in beds}
    everything = [cells[(w, d)] for w in beds for d in days]
    assert by_ward["totals"] == figures(everything, sum(beds.values()) * len(days))

    by_day = report.query(start=start, end=end, ward_id=None, group_by="day")
    assert [row["day"] for row in by_day["rows"]] == days
    for row in by_day["rows"]:
        day_cells = [cells[(w, row["day"])] for w in beds]
        want = figures(day_cells, sum(beds.values()))
        assert {k: row[k] for k in want} == want, row["day"]

    one = report.query(start=start, end=end, ward_id=hospital["B"].ward.pk, group_by="day")
    assert [r["patient_days"] for r in one["rows"]] == [cells[("B", d)]["census"] for d in days]

    # Sanity of the hand-built case itself: what the definitions say on the edges.
    # p1, p2 (admitted at 23:30) and p3 (admitted at the midnight itself) were in ward A at that midnight.
    assert cells[("A", TODAY - datetime.timedelta(days=7))]["census"] == 3
    assert by_ward["totals"]["discharges"] == 3 and by_ward["totals"]["admissions"] == 7  # p5 cancelled


def test_the_census_counts_the_same_midnights_as_the_bed_days_charged(hospital):
    commands.bed_days_charge(since=TODAY - datetime.timedelta(days=9))
    refresh.refresh("ward_census", force=True)
    start, end = TODAY - datetime.timedelta(days=9), TODAY - datetime.timedelta(days=1)
    by_day = {}
    for ward in ("A", "B"):
        answer = REPORTS["inpatient-census"].query(start=start, end=end, ward_id=hospital[ward].ward.pk, group_by="day")
        by_day[ward] = {row["day"]: row["patient_days"] for row in answer["rows"]}
    charged = {}
    for charge in BedDayCharge.objects.select_related("ward"):
        ward = charge.ward.code
        charged.setdefault(ward, {}).setdefault(charge.night, 0)
        charged[ward][charge.night] += 1
    for ward in ("A", "B"):
        assert {d: n for d, n in by_day[ward].items() if n} == charged.get(ward, {})


def test_page_api_and_csv_give_the_same_numbers(hospital, client, api_as):
    refresh.refresh("ward_census", force=True)
    reader = UserFactory(username="census-reader", roles=["clinician"])
    sign_in(client, reader)
    wait_replayed()
    params = {"start": (TODAY - datetime.timedelta(days=9)).isoformat(), "end": TODAY.isoformat()}
    api = api_as("clinician").get("/api/v1/reports/inpatient-census/", params).json()
    page = client.get("/reports/inpatient-census/", params)
    assert page.status_code == 200 and "Midnight census per day" in page.content.decode()
    exported = client.get("/reports/inpatient-census/", {**params, "format": "csv"})
    table = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert table[0][:3] == ["Ward", "Patient days (midnight census)", "Bed days"]
    assert [r[0] for r in table[1:-1]] == [row["ward_name"] for row in api["rows"]] == ["Ward A", "Ward B"]
    assert [int(r[1]) for r in table[1:-1]] == [row["patient_days"] for row in api["rows"]]
    assert table[-1][0] == "TOTAL" and int(table[-1][1]) == api["totals"]["patient_days"]
