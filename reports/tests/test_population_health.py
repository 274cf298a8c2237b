"""Population health against an independent calculation in Python, over hand-built rows; page = API = CSV."""

import csv
import datetime
import io
import random
import time
from dataclasses import dataclass
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connections

from clinical.models import Diagnosis, Encounter, Icd10Code, LabResult, Patient, Vitals
from reports.engine import refresh
from reports.projections.population_health import AGE_GROUPS
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory
from tests.support.stack import on_stack, sign_in

pytestmark = on_stack
UTC = datetime.UTC


def at(day: str, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass
class Hospital:
    """What was written, kept in plain Python for the independent calculation."""

    encounters: list
    diagnoses: list
    labs: list
    vitals: list


def build(seed: int, patients: int = 40) -> Hospital:
    """Random but reproducible: 2 departments, 4 months of encounters, diagnoses, HbA1c, BP, inpatient stays."""
    rng = random.Random(seed)
    departments = [DepartmentFactory(code="MED", name="Medicine"), DepartmentFactory(code="CAR", name="Cardiology")]
    doctor = UserFactory(username="dr-pop")
    start = at("2025-01-01", 0)
    written = Hospital([], [], [], [])
    for code in ("E11.9", "E10.9", "I10", "I13.10", "J06.9"):
        assert Icd10Code.objects.filter(pk=code).exists(), code
    people = random.Random(-seed)  # demographics of their own: the care drawn below stays as it was
    for _ in range(patients):
        patient = PatientFactory(
            sex=people.choice(["female", "male"]),
            date_of_birth=datetime.date(people.randint(1925, 2020), people.randint(1, 12), people.randint(1, 28)),
            postal_code=people.choice(["62704", "627-11", "SW1A 1AA", ""]),
        )
        stays = []
        for _ in range(rng.randint(1, 4)):
            started = start + datetime.timedelta(days=rng.randint(0, 119), hours=rng.randint(0, 23))
            kind = rng.choice(["outpatient", "outpatient", "inpatient"])
            ended = started + datetime.timedelta(days=rng.randint(1, 6)) if kind == "inpatient" else None
            if kind == "outpatient" and rng.random() < 0.5:
                ended = started + datetime.timedelta(hours=1)
            encounter = Encounter.objects.create(
                patient=patient,
                type=kind,
                department=rng.choice(departments),
                attending=doctor,
                started_at=started,
                status="closed" if ended else "open",
                ended_at=ended,
            )
            stays.append(encounter)
            written.encounters.append(encounter)
        for code in rng.sample(["E11.9", "E10.9", "I10", "I13.10", "J06.9"], k=rng.randint(0, 2)):
            recorded = start + datetime.timedelta(days=rng.randint(-30, 110))
            resolved = recorded + datetime.timedelta(days=rng.randint(10, 60)) if rng.random() < 0.15 else None
            written.diagnoses.append(
                Diagnosis.objects.create(
                    encounter=rng.choice(stays), code_id=code, description=code, recorded_at=recorded,
                    resolved_at=resolved,
                )
            )  # fmt: skip
        for _ in range(rng.randint(0, 3)):
            written.labs.append(
                LabResult.objects.create(
                    encounter=stays[0], patient=patient, test_code="4548-4", test_name="HbA1c",
                    value=Decimal(rng.choice(["5.9", "6.8", "6.99", "7.0", "7.4", "9.1"])), unit="%", flag="high",
                    resulted_at=start + datetime.timedelta(days=rng.randint(-400, 119), hours=rng.randint(0, 23)),
                )
            )  # fmt: skip
        for _ in range(rng.randint(0, 3)):
            systolic = rng.choice([118, 139, 140, 152])
            written.vitals.append(
                Vitals.objects.create(
                    encounter=rng.choice(stays), systolic=systolic, diastolic=rng.choice([70, 89, 90, 95]),
                    recorded_at=start + datetime.timedelta(days=rng.randint(-200, 119), hours=rng.randint(0, 23)),
                )
            )  # fmt: skip
            if rng.random() < 0.3:
                written.vitals.append(Vitals.objects.create(encounter=rng.choice(stays), pulse=80))  # no BP
    return written


def month_of(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(UTC).date().replace(day=1)


def expected(h: Hospital) -> dict[tuple[datetime.date, int], dict]:
    """The definitions in reports/projections/population_health.py, computed row by row in Python."""
    under_care = {(month_of(e.started_at), e.department_id, e.patient_id) for e in h.encounters}
    patient_of = {e.pk: e.patient_id for e in h.encounters}

    def has(patient, prefixes, end):
        return any(
            patient_of[d.encounter_id] == patient
            and d.code_id[:3] in prefixes
            and d.recorded_at < end
            and (d.resolved_at is None or d.resolved_at >= end)
            for d in h.diagnoses
        )

    def latest(items, patient, end):
        before = [x for x in items if x[0] == patient and x[1] < end]
        if not before:
            return None
        newest = max(before, key=lambda x: (x[1], x[2]))
        return newest if newest[1] >= end - relativedelta(months=12) else None

    a1c = [(r.patient_id, r.resulted_at, r.pk, r.value) for r in h.labs]
    bp = [(patient_of[v.encounter_id], v.recorded_at, v.pk, v.systolic, v.diastolic) for v in h.vitals if v.systolic]
    rows: dict[tuple[datetime.date, int], dict] = {}
    months = {m for m, _, _ in under_care}
    for month in months:
        end = datetime.datetime.combine(month + relativedelta(months=1), datetime.time(), tzinfo=UTC)
        for department in {d for m, d, _ in under_care if m == month} | {0}:
            patients = {p for m, d, p in under_care if m == month and department in (0, d)}
            row = rows.setdefault((month, department), {"discharges": 0, "readmissions_30d": 0})
            row["patients"] = len(patients)
            diabetic = [p for p in patients if has(p, ("E10", "E11"), end)]
            values = {p: latest(a1c, p, end) for p in diabetic}
            row["diabetes_patients"] = len(diabetic)
            row["diabetes_controlled"] = sum(1 for v in values.values() if v and v[3] < 7)
            row["diabetes_untested"] = sum(1 for v in values.values() if v is None)
            hypertensive = [p for p in patients if has(p, ("I10", "I11", "I12", "I13", "I15", "I16"), end)]
            readings = {p: latest(bp, p, end) for p in hypertensive}
            row["hypertension_patients"] = len(hypertensive)
            row["hypertension_controlled"] = sum(1 for r in readings.values() if r and r[3] < 140 and r[4] < 90)
            row["hypertension_unmeasured"] = sum(1 for r in readings.values() if r is None)
    inpatient = [e for e in h.encounters if e.type == "inpatient"]
    for stay in (e for e in inpatient if e.ended_at):
        readmitted = any(
            r.patient_id == stay.patient_id
            and r.pk != stay.pk
            and stay.ended_at < r.started_at <= stay.ended_at + datetime.timedelta(days=30)
            for r in inpatient
        )
        for department in (stay.department_id, 0):
            row = rows.setdefault((month_of(stay.ended_at), department), {"discharges": 0, "readmissions_30d": 0})
            row["discharges"] += 1
            row["readmissions_30d"] += readmitted
    zero = dict.fromkeys(("patients", "diabetes_patients", "diabetes_controlled", "diabetes_untested"), 0)
    zero |= dict.fromkeys(("hypertension_patients", "hypertension_controlled", "hypertension_unmeasured"), 0)
    return {k: {**zero, **v} for k, v in rows.items()}


def view_rows() -> dict[tuple[datetime.date, int], dict]:
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT * FROM reports_population_health_monthly")
        names = [c.name for c in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    # Rows are also split by age group, sex and area: summed, they give the month x department figures.
    summed: dict[tuple[datetime.date, int], dict] = {}
    for r in found:
        row = summed.setdefault((r["month"], r["department_id"]), {})
        for k, v in r.items():
            if k not in ("month", "department_id", "department_name", "age_group", "sex", "area"):
                row[k] = row.get(k, 0) + v
    return summed


@pytest.mark.parametrize("seed", [7, 2026])
def test_the_view_equals_an_independent_calculation_on_random_hand_built_data(seed):
    hospital = build(seed)
    refresh.refresh("population_health", force=True)
    want, got = expected(hospital), view_rows()
    assert set(got) == set(want)
    for key in sorted(want):
        assert got[key] == want[key], key
    assert sum(r["diabetes_patients"] for r in want.values()) > 0  # the data exercises every measure
    assert sum(r["hypertension_controlled"] for r in want.values()) > 0
    assert sum(r["readmissions_30d"] for r in want.values()) > 0


@pytest.fixture
def small_clinic():
    """Four patients in March 2025, numbers small enough to check by hand."""
    medicine, surgery = DepartmentFactory(code="MED", name="Medicine"), DepartmentFactory(code="SUR", name="Surgery")
    doctor = UserFactory(username="dr-small")
    people = [PatientFactory(family_name=n) for n in ("Ade", "Bo", "Cruz", "Dee")]

    def visit(patient, department, day, kind="outpatient", ended=None):
        return Encounter.objects.create(
            patient=patient, type=kind, department=department, attending=doctor, started_at=at(day),
            status="closed" if ended else "open", ended_at=at(ended) if ended else None,
        )  # fmt: skip

    ade, bo, cruz, dee = people
    for person, department in ((ade, medicine), (bo, medicine), (cruz, surgery), (dee, medicine)):
        encounter = visit(person, department, "2025-03-10")
        Diagnosis.objects.create(encounter=encounter, code_id="E11.9", description="T2DM", recorded_at=at("2025-01-05"))
    visit(dee, surgery, "2025-03-20")  # Dee is under care in both departments: once in the total
    for person, value, day in ((ade, "6.5", "2025-02-01"), (bo, "8.2", "2025-03-01"), (dee, "6.0", "2025-03-15")):
        LabResult.objects.create(
            encounter=person.encounters.first(), patient=person, test_code="4548-4", test_name="HbA1c",
            value=Decimal(value), unit="%", flag="high", resulted_at=at(day),
        )  # fmt: skip
    # Dee's newer HbA1c is after March: March still counts the 6.0.
    LabResult.objects.create(
        encounter=dee.encounters.first(), patient=dee, test_code="4548-4", test_name="HbA1c", value=Decimal("9.0"),
        unit="%", flag="high", resulted_at=at("2025-04-02"),
    )  # fmt: skip
    # Inpatient: Ade discharged from Medicine 2025-03-05, back 2025-04-01 (27 days): a readmission in March.
    visit(ade, medicine, "2025-03-01", "inpatient", ended="2025-03-05")
    visit(ade, medicine, "2025-04-01", "inpatient", ended="2025-04-03")
    # Bo discharged 2025-03-02, back 2025-04-05 (34 days): not a readmission.
    visit(bo, surgery, "2025-02-27", "inpatient", ended="2025-03-02")
    visit(bo, surgery, "2025-04-05", "inpatient")
    refresh.refresh("population_health", force=True)
    return medicine, surgery


def test_control_and_readmission_numbers_by_hand_through_the_api_page_and_csv(client, small_clinic):
    _, surgery = small_clinic
    sign_in(client, UserFactory(username="quality", roles=["report_viewer"]))
    span = {"start": "2025-03-01", "end": "2025-04-30"}
    body = client.get("/api/v1/reports/population-health/", span).json()
    march, april = body["series"]
    assert march["month"] == "2025-03-01" and march["department_name"] == "All departments"
    # March: Ade 6.5 and Dee 6.0 controlled, Bo 8.2 not, Cruz untested -> 2 of 4.
    assert (march["diabetes_patients"], march["diabetes_controlled"], march["diabetes_untested"]) == (4, 2, 1)
    assert march["diabetes_control_rate"] == "50.0"
    assert (march["discharges"], march["readmissions_30d"], march["readmission_rate"]) == (2, 1, "50.0")
    # April: Ade (inpatient, 6.5 from February) and Bo (8.2) are under care; Dee's 9.0 came in April but
    # Dee had no encounter in April.
    assert (april["diabetes_patients"], april["diabetes_controlled"], april["diabetes_control_rate"]) == (2, 1, "50.0")
    assert (april["discharges"], april["readmissions_30d"]) == (1, 0)
    assert march["hypertension_patients"] == 0 and march["hypertension_control_rate"] is None

    by_department = client.get("/api/v1/reports/population-health/", {**span, "group_by": "department"}).json()
    march_rows = {r["department_name"]: r for r in by_department["rows"] if r["month"] == "2025-03-01"}
    assert march_rows["Medicine"]["diabetes_patients"] == 3 and march_rows["Surgery"]["diabetes_patients"] == 2
    assert march_rows["Medicine"]["readmissions_30d"] == 1 and march_rows["Surgery"]["discharges"] == 1
    only_surgery = client.get("/api/v1/reports/population-health/", {**span, "department": surgery.pk}).json()
    assert [r["diabetes_patients"] for r in only_surgery["rows"]] == [2, 1]  # Cruz and Dee; then Bo in April
    assert only_surgery["source"] == "materialized_view" and only_surgery["stale_seconds"] is not None

    page = client.get("/reports/population-health/", span)
    assert page.status_code == 200 and "50.0" in page.content.decode()
    response = client.get("/reports/population-health/", {**span, "format": "csv"})
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["Month"], r["Diabetes"], r["HbA1c < 7 %"]) for r in table] == [
        ("2025-03-01", "4", "2"),
        ("2025-04-01", "2", "1"),
    ]
    bad = client.get("/api/v1/reports/population-health/", {"department": "999999", "group_by": "ward"})
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"department", "group_by"}


def test_population_health_refreshes_at_most_once_per_its_own_interval(settings):
    settings.PROJECTION_MIN_INTERVALS = {"population_health": 60.0}
    refresh.refresh("population_health", force=True)
    DepartmentFactory(code="NEW", name="New wing")  # a source change: the projection is dirty again
    asked = []
    result = refresh.refresh("population_health", later=lambda name, delay: asked.append((name, delay)))
    # Too soon, and too long to wait in a queued task: the beat sweep will find it dirty again.
    assert result["refreshes"] == 0 and asked == []
    with connections["default"].cursor() as cursor:
        assert refresh.dirty(cursor, "population_health")[0]
    settings.PROJECTION_MIN_INTERVALS = {}
    time.sleep(0.6)  # past the default interval
    assert refresh.refresh("population_health", later=lambda *_: None)["refreshes"] == 1


def _age_group(born: datetime.date, month: datetime.date) -> str:
    age = month.year - born.year - ((month.month, month.day) < (born.month, born.day))
    return next(label for label, low, high in AGE_GROUPS if high is None or age <= high)


def test_the_rows_split_by_age_group_sex_and_area_as_the_patients_are():
    from reports.queries.population import population_health

    hospital = build(11)
    refresh.refresh("population_health", force=True)
    patients = {p.pk: p for p in Patient.objects.using("default").all()}
    cared = {(month_of(e.started_at), e.patient_id) for e in hospital.encounters}
    dimension = {
        "sex": lambda p, m: p.sex,
        "age_group": lambda p, m: _age_group(p.date_of_birth, m),
        "area": lambda p, m: "".join(c for c in p.postal_code if c.isalnum()).upper()[:3] or "?",
    }
    span = {"start": datetime.date(2025, 1, 1), "end": datetime.date(2025, 5, 31)}
    for name, of in dimension.items():
        want: dict[tuple, int] = {}
        for month, patient in cared:
            key = (month, of(patients[patient], month))
            want[key] = want.get(key, 0) + 1
        answer = population_health(**span, group_by=name)
        got = {(r["month"], r[name]): r["patients"] for r in answer["rows"] if r["patients"]}  # (discharges only: 0)
        assert got == want, name
    females = population_health(**span, sex="female")
    want = {}
    for month, patient in cared:
        if patients[patient].sex == "female":
            want[month] = want.get(month, 0) + 1
    assert {r["month"]: r["patients"] for r in females["series"] if r["patients"]} == want
    area = population_health(**span, area="sw1", group_by="sex")
    assert area["area"] == "SW1" and all(
        patients_in_area > 0 for patients_in_area in (r["patients"] for r in area["rows"])
    )
