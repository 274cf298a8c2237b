"""`make run`'s demo hospital (seed_demo): generated years plus the named demo, one login per role printed
at the end with the time it took, every worklist with content, and safe to run again."""

import io

from django.contrib.auth.models import User
from django.core.management import call_command

from billing.models import Invoice
from clinical.models import Patient
from core.roles import names as role_names
from pharmacy.models import Prescription, StockBatch
from scheduling.models import QueueEntry
from tests.support.stack import on_stack

pytestmark = on_stack


def test_seed_demo_makes_a_living_hospital_and_prints_the_logins():
    out = io.StringIO()
    call_command("seed_demo", scale=0.001, stdout=out)
    said = out.getvalue()
    assert "Demo hospital ready in" in said and "Generated" in said
    logins = said.split("Demo logins")[1]
    assert "/accounts/login/" in logins
    for role in role_names():
        assert f"  {role} " in logins
        assert User.objects.get(username=role).groups.filter(name=role).exists()
    assert Patient.objects.count() > 200  # 200 generated, the named demo beside them
    assert Patient.objects.filter(mrn__startswith="DEMO").exists()
    assert Prescription.objects.filter(status="active").exists()  # the pharmacy has a queue
    assert QueueEntry.objects.exists()  # clinics with queues (today's state depends on the hour)
    assert Invoice.objects.filter(status__in=("issued", "partially_paid")).exists()
    assert StockBatch.objects.filter(lot_number="PARA500-OLD").exists()  # expired stock on the shelf
    counts = (Patient.objects.count(), Invoice.objects.count(), Prescription.objects.count())

    again = io.StringIO()
    call_command("seed_demo", scale=0.001, stdout=again)
    assert "Generated" not in again.getvalue()  # the history is there already
    assert (Patient.objects.count(), Invoice.objects.count(), Prescription.objects.count()) == counts


def test_seed_demo_over_an_earlier_demo_adds_no_generated_history():
    call_command("seed_demo", scale=0, stdout=io.StringIO())  # as an earlier seed_demo left it
    patients = Patient.objects.count()
    out = io.StringIO()
    call_command("seed_demo", scale=0.001, stdout=out)
    assert "without generated history" in out.getvalue() and "Generated" not in out.getvalue()
    assert Patient.objects.count() == patients
