"""The hospital day's scenario code runs (bench/hospital_day.py): one simulated person of each kind, a few
seconds, against the test server. A smoke run: no timing is asserted, only that every persona worked
and no request failed."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bench import hospital_day_plan
from billing.models import Payer
from clinical import commands as clinical
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import DepartmentFactory, EncounterFactory, PatientFactory
from tests.support.factories.pharmacy import amoxicillin, prescribe, receive
from tests.support.stack import on_stack, wait_replayed

ROOT = Path(__file__).resolve().parent.parent.parent
LOCUST = Path(sys.executable).parent / "locust"


@pytest.fixture
def small_hospital():
    department = DepartmentFactory(code="GEN", name="General medicine")
    ServiceFactory(code="CONS", name="Consultation", department=department, price=Decimal("45.00"))
    if not Payer.objects.exists():
        PayerFactory(name="Self-pay")
    patients = [PatientFactory(family_name=f"Dayone{n}") for n in range(4)]
    encounters = [EncounterFactory(patient=p, department=department) for p in patients]
    clinical.diagnosis_record(encounter_id=encounters[0].pk, code="I10")
    drug = amoxicillin()
    receive(drug, "L1", 300, 500)
    return [prescribe(drug, quantity=2, encounter=e).pk for e in encounters for _ in range(2)]


@on_stack
@pytest.mark.skipif(not LOCUST.exists(), reason="locust is not installed (requirements/test.txt)")
def test_every_persona_works_through_a_short_day_without_errors(small_hospital, live_server, tmp_path):
    # As many users as the personas' weights add up to: each persona gets its share, at least one.
    users = hospital_day_plan.WEIGHTS_TOTAL
    plan = hospital_day_plan.build(users=users, prescriptions=small_hospital)
    assert plan["patients"] and plan["encounters"] and plan["services"]
    wait_replayed()  # the sessions are read from the standbys
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "HOSPITAL_DAY_PLAN": str(tmp_path / "plan.json"),
        "HOSPITAL_DAY_OUT": str(out),
        "HOSPITAL_DAY_THINK": "0.1,0.3",
    }
    classes = ["FrontDesk", "Nurse", "Clinician", "Pharmacist", "BillingClerk", "Manager", "Integrator"]
    done = subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(ROOT / "bench" / "hospital_day.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            "20s",
            "--host",
            live_server.url,
            "--only-summary",
            *classes,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), done.stderr[-3000:]
    found = json.loads(out.read_text())
    recorded = found["recorded"]
    assert set(recorded) == {
        "front_desk",
        "nurse",
        "clinician",
        "pharmacist",
        "billing_clerk",
        "manager",
        "integrator",
    }, done.stderr[-3000:]
    assert not found["failed"], found["failed"]
    assert any(is_page for rows in recorded.values() for is_page, _, _ in rows)
