"""What the hospital day's simulated staff need (bench/hospital_day.py): a signed-in session each (an API key
each for integrators) and the ids of what they work on. Written as JSON for the locust process."""

import datetime as dt
import secrets

from django.contrib.auth.models import Group, User
from django.db import connections, transaction
from django.utils import timezone

from bench.setup import session_cookie
from billing.models import Payer, Service
from clinical.models import Department, Encounter, Patient
from core.api.commands import api_client_create
from core.routing.state import unit_of_work
from pharmacy.models import Drug

# persona -> the roles its staff hold (hmis/roles.py)
PERSONAS = {
    "front_desk": ("front_desk",),
    "nurse": ("nurse",),
    "clinician": ("clinician",),
    "pharmacist": ("pharmacist",),
    "billing_clerk": ("billing_clerk",),
    "manager": ("report_viewer", "billing_clerk", "pharmacist"),  # the financial and the clinical reports
}
INTEGRATOR_ROLES = ("clinician", "nurse")
# The personas' weights in bench/hospital_day.py (3+4+3+1+2+1+1): their share of the simulated staff.
SHARES = {"front_desk": 3, "nurse": 4, "clinician": 3, "pharmacist": 1, "billing_clerk": 2, "manager": 1}
WEIGHTS_TOTAL = 15


def _staff(persona: str, count: int) -> list[User]:
    """`count` accounts day_<persona>_<n> with the persona's roles (made once, kept between runs)."""
    prefix = f"day_{persona}_"
    have = {u.username: u for u in User.objects.using("default").filter(username__startswith=prefix)}
    missing = [f"{prefix}{n}" for n in range(count) if f"{prefix}{n}" not in have]
    if missing:
        made = User.objects.using("default").bulk_create(
            [User(username=name, is_staff=True, password="!" + secrets.token_hex(8)) for name in missing]  # unusable
        )
        groups = list(Group.objects.using("default").filter(name__in=PERSONAS[persona]))
        through = User.groups.through
        through.objects.using("default").bulk_create(
            [through(user_id=user.pk, group_id=group.pk) for user in made for group in groups]
        )
        have.update({u.username: u for u in made})
    return [have[f"{prefix}{n}"] for n in range(count)]


def _ids(sql: str, params=()) -> list:
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] if len(row) == 1 else list(row) for row in cursor.fetchall()]


def build(*, users: int, prescriptions: list[int], sample: int = 5000) -> dict:
    """Sessions for up to `users` simulated staff (each persona its share, at least one), API keys for the
    integrators, and what they work on: patients, open encounters, departments, services, drugs, codes."""
    sessions, staff = {}, {}
    with unit_of_work(), transaction.atomic(using="default"):
        for persona, share in SHARES.items():
            staff[persona] = _staff(persona, max(1, -(-users * share // WEIGHTS_TOTAL)))
            sessions[persona] = [session_cookie(user) for user in staff[persona]]
        keys = []
        for n in range(max(1, -(-users // WEIGHTS_TOTAL))):
            name = f"day-{timezone.now():%Y%m%d%H%M%S}-{n}"
            keys.append(api_client_create(name=name, roles=list(INTEGRATOR_ROLES))[1])
    patients = _ids("SELECT id FROM clinical_patient TABLESAMPLE SYSTEM (5) LIMIT %s", [sample]) or list(
        Patient.objects.using("default").values_list("id", flat=True)[:sample]
    )
    encounters = _ids(
        "SELECT id, patient_id FROM clinical_encounter WHERE status = 'open' ORDER BY id DESC LIMIT %s", [sample]
    ) or [list(e) for e in Encounter.objects.using("default").filter(status="open").values_list("id", "patient_id")]
    names = _ids("SELECT DISTINCT family_name FROM clinical_patient WHERE id = ANY(%s)", [patients[:500]])
    today = timezone.localdate()
    year_ago = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    return {
        "sessions": sessions,
        "api_keys": keys,
        "clinicians": [user.pk for user in staff["clinician"]],  # who attends the visits the front desk opens
        "patients": patients,
        "encounters": encounters,
        "names": names,
        "departments": list(Department.objects.using("default").values_list("id", flat=True)),
        "services": list(
            Service.objects.using("default").filter(active=True, department__isnull=False).values_list("id", flat=True)
        ),
        "payer": Payer.objects.using("default").order_by("id").values_list("id", flat=True).first(),
        "drugs": list(Drug.objects.using("default").order_by("id").values_list("id", flat=True)[:200]),
        "icd10": _ids("SELECT DISTINCT icd10_code FROM clinical_diagnosis TABLESAMPLE SYSTEM (1) LIMIT 300")
        or ["I10", "E11.9", "J06.9"],
        "prescriptions": prescriptions,
        "year": {"start": year_ago.isoformat(), "end": today.isoformat()},
    }
