"""Each alert rule fires and clears on hand-built data; time windows are judged when the alerts are read."""

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connections
from django.utils import timezone

from clinical import commands as clinical
from clinical.models import Diagnosis, LabResult
from pharmacy import commands as pharmacy
from pharmacy.models import Prescription
from reports import queries
from reports.engine import refresh
from reports.engine.reconcile import reconcile
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory
from tests.support.stack import on_stack, sign_in, standbys, wait_replayed, wait_until

# Transactional: every REFRESH ... CONCURRENTLY commits, as in production (dozens of them inside one test
# transaction would also exhaust the lock table with their temporary tables).
pytestmark = on_stack
DAY = datetime.timedelta(days=1)


@pytest.fixture
def doctor():
    return UserFactory(username="dr-alerts", roles=["clinician"])


@pytest.fixture
def visit(doctor):
    """An open encounter of a new patient, started `days_ago`."""

    def start(patient=None, days_ago: float = 0, type: str = "outpatient"):
        return clinical.encounter_start(
            patient_id=(patient or PatientFactory()).pk,
            type=type,
            department_id=DepartmentFactory(code="MED", name="Medicine").pk,
            attending_id=doctor.pk,
            started_at=timezone.now() - datetime.timedelta(days=days_ago),
        )

    return start


def drug(code: str, name: str, *ingredients: str):
    return pharmacy.drug_create(
        code=code,
        generic_name=name,
        form="tablet",
        strength="1 mg",
        unit="tablet",
        unit_price=Decimal("0.10"),
        ingredients=list(ingredients) or [name.lower()],
    )


def prescribe(encounter, medicine, doctor, days: int = 10) -> Prescription:
    """An order as the alerts see it: prescribed whatever the checks say (they are tested on their own)."""
    return pharmacy.prescription_create(
        encounter_id=encounter.pk,
        drug_id=medicine.pk,
        dose="1 tablet",
        frequency="daily",
        duration_days=days,
        quantity=days,
        prescriber=doctor,
        override_reason="The alerts are the subject here",
    )


def alerts(patient, at=None) -> dict[str, dict]:
    """The patient's active alerts by rule, after a refresh (as the worker would do after the commit)."""
    refresh.refresh("patient_alerts", force=True)
    wait_replayed()
    found = queries.patient_alerts(patient_id=patient.pk, at=at)["alerts"]
    return {a["rule"]: a for a in found}


def test_allergy_to_an_ingredient_of_a_current_prescription_fires_and_clears_when_cancelled_or_over(visit, doctor):
    encounter = visit()
    patient = encounter.patient
    clinical.allergy_record(patient_id=patient.pk, substance="Amoxicillin", severity="severe", reaction="anaphylaxis")
    prescribe(encounter, drug("PARA", "Paracetamol"), doctor)
    assert "allergy_drug" not in alerts(patient)  # no shared ingredient

    course = prescribe(encounter, drug("COAMOX", "Co-amoxiclav", "amoxicillin", "clavulanic acid"), doctor, days=5)
    found = alerts(patient)["allergy_drug"]
    assert found["severity"] == "high"
    assert (
        found["reason"]
        == "Allergy to Amoxicillin (severe, anaphylaxis, unconfirmed): Co-amoxiclav contains amoxicillin"
    )
    # The course ends with its fifth day after the prescription date: the alert ends with it, no refresh needed.
    last_day = course.prescribed_at.astimezone(datetime.UTC).date() + 5 * DAY
    end = datetime.datetime.combine(last_day + DAY, datetime.time(), tzinfo=datetime.UTC)
    assert "allergy_drug" in alerts(patient, at=end - datetime.timedelta(seconds=1))
    assert "allergy_drug" not in alerts(patient, at=end)

    pharmacy.prescription_cancel(prescription_id=course.pk)
    assert "allergy_drug" not in alerts(patient)


def test_two_current_drugs_from_the_interaction_table_fire_while_both_courses_run(visit, doctor):
    encounter = visit()
    patient = encounter.patient
    prescribe(encounter, drug("WARF", "Warfarin"), doctor, days=30)
    assert "interaction" not in alerts(patient)
    aspirin = prescribe(encounter, drug("ASA", "Aspirin"), doctor, days=3)
    found = alerts(patient)["interaction"]
    assert found["severity"] == "high" and found["subject"] == "warfarin + aspirin"
    assert "Warfarin with Aspirin" in found["reason"] and "bleeding" in found["reason"]
    assert "interaction" not in alerts(patient, at=timezone.now() + 5 * DAY)  # aspirin's course is over

    pharmacy.prescription_cancel(prescription_id=aspirin.pk)
    assert "interaction" not in alerts(patient)

    # Courses that never overlap do not interact.
    other = visit()
    prescribe(other, drug("SIMVA", "Simvastatin"), doctor, days=5)
    later = prescribe(other, drug("CLARI", "Clarithromycin"), doctor, days=7)
    Prescription.objects.filter(pk=later.pk).update(prescribed_at=timezone.now() + 10 * DAY)
    assert "interaction" not in alerts(other.patient, at=timezone.now() + 11 * DAY)
    Prescription.objects.filter(pk=later.pk).update(prescribed_at=timezone.now())
    assert alerts(other.patient)["interaction"]["subject"] == "simvastatin + clarithromycin"


def test_a_critical_lab_value_fires_for_seven_days(visit):
    encounter = visit()
    patient = encounter.patient
    clinical.lab_result_record(encounter_id=encounter.pk, test="2823-3", value=Decimal("5.6"))  # high, not critical
    assert "critical_lab" not in alerts(patient)
    result = clinical.lab_result_record(encounter_id=encounter.pk, test="2823-3", value=Decimal("6.8"))
    found = alerts(patient)["critical_lab"]
    assert found["severity"] == "high" and found["reason"].startswith("Potassium 6.8 mmol/L is critically high")
    assert "critical_lab" in alerts(patient, at=result.resulted_at + 7 * DAY - datetime.timedelta(seconds=1))
    assert "critical_lab" not in alerts(patient, at=result.resulted_at + 7 * DAY)

    # A critical result more than 7 days old no longer alerts, now.
    LabResult.objects.filter(pk=result.pk).update(resulted_at=timezone.now() - 8 * DAY)
    assert "critical_lab" not in alerts(patient)


def test_abnormal_vitals_fire_in_an_open_encounter_and_clear_with_a_normal_reading_or_closing(visit, doctor):
    encounter = visit()
    patient = encounter.patient
    clinical.vitals_record(encounter_id=encounter.pk, spo2=97, systolic=128, diastolic=80, pulse=72)
    assert "abnormal_vitals" not in alerts(patient)

    clinical.vitals_record(encounter_id=encounter.pk, spo2=86, pulse=140)
    found = queries.patient_alerts(patient_id=patient.pk)["alerts"]
    assert "abnormal_vitals" not in {a["rule"] for a in found}  # not refreshed yet: the projection lags
    refresh.refresh("patient_alerts", force=True)
    vitals = [a for a in queries.patient_alerts(patient_id=patient.pk)["alerts"] if a["rule"] == "abnormal_vitals"]
    assert {a["subject"] for a in vitals} == {"spo2 <", "pulse >"}
    assert any(a["reason"].startswith(f"SpO₂ 86 % (below 90 %), open encounter {encounter.pk}, ") for a in vitals)

    clinical.vitals_record(encounter_id=encounter.pk, spo2=95, systolic=184, diastolic=96)  # pulse still 140
    refresh.refresh("patient_alerts", force=True)
    vitals = [a for a in queries.patient_alerts(patient_id=patient.pk)["alerts"] if a["rule"] == "abnormal_vitals"]
    assert {a["subject"] for a in vitals} == {"systolic >=", "pulse >"}

    clinical.encounter_close(encounter_id=encounter.pk)
    assert "abnormal_vitals" not in alerts(patient)


def test_diabetes_without_an_hba1c_in_six_months_is_a_care_gap_until_one_is_recorded(visit):
    encounter = visit(days_ago=250)
    patient = encounter.patient
    clinical.diagnosis_record(encounter_id=encounter.pk, code="I10")
    assert "care_gap_hba1c" not in alerts(patient)

    diagnosis = clinical.diagnosis_record(encounter_id=encounter.pk, code="E11.9")
    found = alerts(patient)["care_gap_hba1c"]
    assert found["severity"] == "low" and found["reason"] == "Diabetes and no HbA1c on record"

    # An HbA1c 7 months ago does not close the gap; one 2 months ago does, until it is 6 months old.
    seven_months_ago = timezone.now() - relativedelta(months=7)
    old = clinical.lab_result_record(
        encounter_id=encounter.pk, test="4548-4", value=Decimal("7.9"), resulted_at=seven_months_ago
    )
    assert "last HbA1c 7.9 % on" in alerts(patient)["care_gap_hba1c"]["reason"]
    recent = clinical.lab_result_record(
        encounter_id=encounter.pk,
        test="4548-4",
        value=Decimal("6.6"),
        resulted_at=timezone.now() - relativedelta(months=2),
    )
    assert "care_gap_hba1c" not in alerts(patient)
    due = recent.resulted_at + relativedelta(months=6)
    assert "care_gap_hba1c" not in alerts(patient, at=due - datetime.timedelta(seconds=1))
    assert alerts(patient, at=due)["care_gap_hba1c"]["since"] == due
    assert old.pk

    # A resolved diabetes diagnosis is no longer a reason.
    clinical.diagnosis_resolve(diagnosis_id=diagnosis.pk)
    assert "care_gap_hba1c" not in alerts(patient, at=due)
    assert Diagnosis.objects.filter(encounter__patient=patient).count() == 2


def test_alerts_are_one_per_rule_and_subject_most_severe_first_with_freshness(visit, doctor):
    encounter = visit()
    patient = encounter.patient
    clinical.diagnosis_record(encounter_id=encounter.pk, code="E10.9")
    lisinopril, spironolactone = drug("LISI", "Lisinopril"), drug("SPIRO", "Spironolactone")
    for _ in range(2):  # a repeated prescription is still one alert
        prescribe(encounter, lisinopril, doctor)
        prescribe(encounter, spironolactone, doctor)
    clinical.lab_result_record(encounter_id=encounter.pk, test="2823-3", value=Decimal("6.5"))
    refresh.refresh("patient_alerts", force=True)
    answer = queries.patient_alerts(patient_id=patient.pk)
    assert [(a["rule"], a["severity"], a["subject"]) for a in answer["alerts"]] == [
        ("critical_lab", "high", "2823-3"),
        ("interaction", "medium", "lisinopril + spironolactone"),  # two pairs of courses, one alert
        ("duplicate", "medium", "lisinopril: Lisinopril and Lisinopril"),
        ("duplicate", "medium", "spironolactone: Spironolactone and Spironolactone"),
        ("care_gap_hba1c", "low", "hba1c"),
        ("care_gap_statin", "low", "statin"),  # diabetes, aged 46, no statin
    ]
    assert answer["source"] == "materialized_view" and answer["fresh_as_of"] and answer["stale_seconds"] is not None
    assert queries.patient_alerts(patient_id=PatientFactory().pk)["alerts"] == []


def _on_standby(alias: str, sql: str, params) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_a_committed_lab_result_reaches_both_projections_on_every_standby_and_the_api(
    celery_worker_process, api_as, visit
):
    encounter = visit()
    patient = encounter.patient
    clinical.diagnosis_record(encounter_id=encounter.pk, code="E11.9")
    gap = (
        "SELECT count(*) FROM reports_patient_alerts "
        "WHERE patient_id = %s AND rule = 'care_gap_hba1c' AND valid_from <= now()"
    )
    for alias in standbys():
        wait_until(lambda alias=alias: _on_standby(alias, gap, [patient.pk]), timeout=20, message=f"gap on {alias}")

    clinical.lab_result_record(encounter_id=encounter.pk, test="4548-4", value=Decimal("6.2"))
    clinical.lab_result_record(encounter_id=encounter.pk, test="2823-3", value=Decimal("7.1"))
    critical = "SELECT count(*) FROM reports_patient_alerts WHERE patient_id = %s AND rule = 'critical_lab'"
    controlled = (
        "SELECT COALESCE(sum(diabetes_controlled), 0) FROM reports_population_health_monthly "
        "WHERE department_id = 0 AND month = date_trunc('month', now() AT TIME ZONE 'UTC')::date"
    )
    for alias in standbys():
        wait_until(lambda alias=alias: _on_standby(alias, critical, [patient.pk]), timeout=20, message=alias)
        wait_until(lambda alias=alias: _on_standby(alias, controlled, []) == 1, timeout=20, message=alias)
        assert _on_standby(alias, gap, [patient.pk]) == 0  # the HbA1c closed the care gap (for 6 months)

    clinician = api_as("clinician")
    wait_replayed()
    body = clinician.get(f"/api/v1/patients/{patient.pk}/alerts/").json()
    assert [a["rule"] for a in body["alerts"]] == ["critical_lab", "care_gap_statin"]  # the HbA1c gap is closed
    assert body["alerts"][0]["reason"].startswith("Potassium 7.1 mmol/L is critically high")
    assert body["source"] == "materialized_view" and body["fresh_as_of"] and body["as_of"]
    assert api_as("billing_clerk").get(f"/api/v1/patients/{patient.pk}/alerts/").status_code == 403
    assert clinician.get("/api/v1/patients/999999/alerts/").status_code == 404
    for name in ("patient_alerts", "population_health"):
        run = reconcile(name)
        assert not run.drift, run.as_dict()


def test_the_chart_shows_alerts_and_results_to_clinicians_and_not_to_billing_clerks(client, visit):
    encounter = visit()
    clinical.lab_result_record(encounter_id=encounter.pk, test="718-7", value=Decimal("6.1"))
    refresh.refresh("patient_alerts", force=True)
    sign_in(client, UserFactory(username="dr-chart", roles=["clinician"]))
    chart = client.get(f"/patients/{encounter.patient_id}/").content.decode()
    assert "Critical lab result" in chart and "Hemoglobin 6.1 g/dL is critically low" in chart
    assert "Lab results" in chart and "Critically low" in chart
    sign_in(client, UserFactory(username="clerk-chart", roles=["billing_clerk"]))
    chart = client.get(f"/patients/{encounter.patient_id}/").content.decode()
    assert "Critical lab result" not in chart and "Lab results" not in chart and "Hemoglobin" not in chart
