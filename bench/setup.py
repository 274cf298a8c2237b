"""What the benchmark needs before it starts: the data, an API key, a signed-in user, work for the writer."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connections, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from bench.servers import PROXY_HEADERS
from billing.models import Invoice, Payer, Service
from clinical.models import Encounter, Patient
from core.api.commands import api_client_create, api_client_revoke
from core.models import ApiClient
from core.routing.state import unit_of_work
from core.sessions import SessionStore
from pharmacy import commands as pharmacy
from pharmacy.models import Drug, Prescription
from reports.engine import refresh
from reports.projections import REGISTRY

BENCH_ROLES = ("billing_clerk", "report_viewer", "pharmacist", "clinician")
PRESCRIPTIONS = 4000


def _count(table: str) -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (constant names)
        return cursor.fetchone()[0]


def _user(username: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.set(Group.objects.filter(name__in=BENCH_ROLES))
    return user


def _api_key() -> str:
    """A new API client for this run (the earlier runs' are revoked): its key is shown only when made."""
    for client in ApiClient.objects.filter(name__startswith="bench", active=True):
        api_client_revoke(client_id=client.pk)
    _, key = api_client_create(name=f"bench-{timezone.now():%Y%m%d-%H%M%S}", roles=list(BENCH_ROLES))
    return key


def _session_cookie() -> str:
    return session_cookie(_user("bench"))


def session_cookie(user: User) -> str:
    """A signed-in session of `user`, as its Cookie header's value."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _prescriptions(prescriber: User) -> list[int]:
    """Active one-unit prescriptions on open encounters of the drug with the most usable stock, for the
    writer to dispense (runs before this one may have used up another drug's)."""
    drug = (
        Drug.objects.using("default")
        .filter(code__startswith="GD")
        .annotate(
            usable=Sum(
                "batches__quantity_on_hand", filter=Q(batches__expiry_date__gt=timezone.localdate() + dt.timedelta(30))
            )
        )
        .order_by(F("usable").desc(nulls_last=True))
        .first()
    )
    existing = list(
        Prescription.objects.using("default")
        .filter(drug=drug, status=Prescription.Status.ACTIVE, notes="bench", quantity_dispensed=0)
        .values_list("id", flat=True)[:PRESCRIPTIONS]
    )
    encounters = list(Encounter.objects.using("default").filter(status="open").values_list("id", flat=True)[:500])
    missing = PRESCRIPTIONS - len(existing)
    for n in range(max(0, missing)):
        rx = pharmacy.prescription_create(
            encounter_id=encounters[n % len(encounters)],
            drug_id=drug.pk,
            dose="1 tablet",
            frequency="once a day",
            duration_days=1,
            quantity=1,
            prescriber=prescriber,
            notes="bench",
            override_reason="bench",  # the safety checks (issue 20) may block a generated patient's order
        )
        existing.append(rx.pk)
    return existing


def prepare(*, scale: float) -> dict:
    expected = round(1_000_000 * scale * 0.9)
    if _count("billing_invoice") < expected:
        print(f"generating data at scale {scale} (found fewer than {expected:,} invoices)", flush=True)
        call_command("generate_data", scale=scale, reset=True)
    call_command("collectstatic", interactive=False, verbosity=0)  # production settings serve the manifest
    with unit_of_work(), transaction.atomic(using="default"):
        key = _api_key()
        cookie = _session_cookie()
        doctor = User.objects.filter(username__startswith="gen_dr_").first()
    with unit_of_work():
        prescriptions = _prescriptions(doctor)
    # Start from fresh projections: the prescriptions above dirty patient alerts, whose refresh (seconds
    # at this scale) must not land in the middle of a measurement.
    for name in REGISTRY:
        refresh.refresh(name)
    patients = list(Patient.objects.using("default").order_by("id").values_list("id", flat=True)[:1000])
    today = timezone.localdate()
    year_ago = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    api = {"Authorization": f"Api-Key {key}", "Accept": "application/json", **PROXY_HEADERS}
    page = {"Cookie": cookie, "Accept": "text/html", **PROXY_HEADERS}
    return {
        "api_key": key,
        "data": {
            t: _count(t)
            for t in (
                "clinical_patient",
                "clinical_encounter",
                "billing_invoice",
                "billing_invoiceline",
                "billing_payment",
                "clinical_diagnosis",
                "pharmacy_dispense",
            )
        },
        "writer": {
            "patients": patients,
            "service": Service.objects.using("default").get(code="CONS").pk,
            "payer": Payer.objects.using("default").get(name="Self-pay").pk,
            "prescriptions": prescriptions,
        },
        "endpoints": {
            "ar_aging_api": ("/api/v1/reports/ar-aging/", api),
            "revenue_api": (
                f"/api/v1/reports/revenue/?start={year_ago}&end={today}&grain=month&dimension=department",
                api,
            ),
            "diagnoses_api": ("/api/v1/reports/diagnosis-trends/", api),
            "dashboard_api": ("/api/v1/reports/dashboard/", api),
            "dashboard_page": ("/", page),
            "bed_board_page": ("/inpatient/board/", page),  # the whole hospital's beds
            "bed_board_json": ("/inpatient/board/data/", page),
        },
        "invoices": Invoice.objects.using("default").count(),
    }
