"""Staff pages (issue 25): each role lands on its worklist, the navigation offers only links the role can
follow, the error pages are the hospital's own, and `make run` shows people no debug page."""

import datetime
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connections
from django.test import RequestFactory
from django.urls import reverse

from billing import commands as billing
from clinical import commands as clinical
from core.api.errors import server_error
from tests.support import data
from tests.support.factories.clinical import UserFactory
from tests.support.stack import on_stack, sign_in

ROLES = ("clinician", "nurse", "front_desk", "billing_clerk", "pharmacist", "report_viewer", "admin")
NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def made():
    made = data.one_of_each(family_name="Quixley", given_name="Zenobia", mrn="PHI0000001")
    clinical.allergy_record(patient_id=made["patient"].pk, substance="Penicillin", severity="severe")
    # An invoice long past its due date (posted 100 days ago on the payer's terms), still unpaid.
    old = billing.invoice_create(
        patient_id=made["patient"].pk,
        payer_id=made["payer"].pk,
        lines=[{"service": made["service"].pk}],
        posting_date=datetime.date.today() - datetime.timedelta(days=100),
    )
    made["overdue"] = billing.invoice_issue(invoice_id=old.pk)
    return made


def _as(client, role: str, **fields):
    user = UserFactory(username=f"landing-{role}", roles=[role], **fields)
    sign_in(client, user)
    return user


@on_stack
def test_front_desk_lands_on_todays_registrations_and_check_ins(client, made):
    _as(client, "front_desk")
    page = client.get("/").content.decode()
    assert "Registered today" in page and "Checked in today" in page
    assert page.count("PHI0000001") >= 2  # registered today, and waiting as a walk-in
    assert "Your role has no reports" not in page


@on_stack
def test_nurse_lands_on_the_ward(client, made):
    from reports.engine import refresh

    refresh.refresh("bed_board", force=True)
    _as(client, "nurse")
    page = client.get("/").content.decode()
    assert "Medical ward 1" in page and "Quixley" in page


@on_stack
def test_clinician_lands_on_their_queue_and_open_encounters(client, made):
    made["encounter"].attending.groups.add(Group.objects.get(name="clinician"))
    sign_in(client, made["encounter"].attending)
    page = client.get("/").content.decode()
    assert "Your open encounters" in page
    opened = page.split("Your open encounters")[1]
    assert "Quixley, Zenobia" in opened and "PHI0000001" in opened


@on_stack
def test_pharmacist_lands_on_the_dispense_queue_with_mrn_and_allergy_flags(client, made):
    from pharmacy import commands as pharmacy

    pharmacy.prescription_create(
        encounter_id=made["encounter"].pk,
        drug_id=made["drug"].pk,
        dose="500 mg",
        frequency="bd",
        duration_days=2,
        quantity=4,
        prescriber=made["prescription"].prescriber,
    )
    _as(client, "pharmacist")
    page = client.get("/").content.decode()
    assert "Prescriptions to dispense" in page
    row = page.split("Prescriptions to dispense")[1]
    assert "PHI0000001" in row and "Penicillins (severe)" in row and "Latex" in row


@on_stack
def test_billing_clerk_lands_on_overdue_invoices(client, made):
    _as(client, "billing_clerk")
    page = client.get("/").content.decode()
    assert "Overdue invoices" in page
    overdue = page.split("Overdue invoices")[1]
    assert made["overdue"].number in overdue
    assert made["invoice"].number not in overdue  # issued today: not due yet
    assert f'href="{reverse("billing:unbilled")}"' in page  # billing's worklist, linked once it exists


@on_stack
@pytest.mark.parametrize("role", ["admin", "report_viewer"])
def test_roles_without_a_worklist_land_on_the_dashboard(client, made, role):
    _as(client, role)
    page = client.get("/").content.decode()
    assert "<h1>Dashboard</h1>" in page


@on_stack
@pytest.mark.parametrize("role", ROLES)
def test_every_navigation_link_opens_for_the_role(client, made, role):
    _as(client, role, is_staff=True)  # staff status alone must not earn an Admin link
    page = client.get("/").content.decode()
    links = HREF.findall(NAV.search(page).group(1))
    assert links, page
    for href in links:
        response = client.get(href)
        assert response.status_code == 200, (role, href, response.status_code)


@on_stack
def test_admin_link_only_for_staff_the_admin_shows_something(client, made):
    nobody = UserFactory(username="staff-without-role", is_staff=True)
    sign_in(client, nobody)
    assert client.get(reverse("admin:index")).content.decode().count("have permission to view or edit") == 1
    assert reverse("admin:index") not in client.get("/").content.decode()
    _as(client, "admin", is_staff=True)
    assert f'href="{reverse("admin:index")}"' in client.get("/").content.decode()
    _as(client, "front_desk")  # not staff: the admin would send them to its sign-in page
    assert reverse("admin:index") not in client.get("/").content.decode()


@on_stack
def test_not_found_and_not_allowed_pages_are_styled(client, made):
    _as(client, "front_desk")
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    body = missing.content.decode()
    assert "Page not found" in body and 'aria-label="Main"' in body and "favicon.svg" in body
    refused = client.get(reverse("pharmacy:queue"))
    assert refused.status_code == 403 and "Not allowed" in refused.content.decode()
    assert client.get("/api/v1/no-such/").json() == {"errors": {"detail": ["Not found."]}}  # the API's own format


def test_server_error_page_renders_without_a_database_or_context(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the 500 page touched the database")

    for alias in connections:
        monkeypatch.setattr(connections[alias], "cursor", refuse)
    response = server_error(RequestFactory().get("/patients/1/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in body and "<style>" in body and 'href="/"' in body


def test_favicon_is_linked_and_shipped():
    static = Path(settings.BASE_DIR) / "static"
    assert (static / "favicon.svg").read_text().startswith("<svg")
    assert (static / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO header
    base = (Path(settings.BASE_DIR) / "templates" / "base.html").read_text()
    assert "favicon.svg" in base and "favicon.ico" in base


def test_make_run_serves_people_without_debug_pages():
    planned = subprocess.run(
        ["make", "-n", "run"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    ).stdout
    web = next(line for line in planned.splitlines() if "DJANGO_DEBUG=" in line)
    assert "DJANGO_DEBUG=false" in web and "DJANGO_SECURE=false" in web and "DJANGO_SECRET_KEY=" in web
    assert "collectstatic" in planned  # DEBUG off serves the collected files


@on_stack
def test_stock_page_adjusts_any_batch_and_expired_stock_is_listed_apart(client, made):
    from pharmacy import commands as pharmacy
    from pharmacy.models import StockBatch, StockMovement

    drug = made["drug"]
    far = pharmacy.stock_receive(
        drug_id=drug.pk,
        lot_number="FAR-1",
        expiry_date=datetime.date.today() + datetime.timedelta(days=700),
        quantity=20,
        unit_cost=Decimal("0.02"),
    )
    expired = StockBatch.objects.create(
        drug=drug,
        lot_number="OLD-1",
        expiry_date=datetime.date.today() - datetime.timedelta(days=3),
        quantity_on_hand=7,
        unit_cost=Decimal("0.02"),
    )
    soon = pharmacy.stock_receive(
        drug_id=drug.pk,
        lot_number="SOON-1",
        expiry_date=datetime.date.today() + datetime.timedelta(days=10),
        quantity=5,
        unit_cost=Decimal("0.02"),
    )
    _as(client, "pharmacist")
    queue = client.get(reverse("pharmacy:queue")).content.decode()
    expired_part = queue.split("Expired, still on the shelf")[1].split("</section>")[0]
    expiring_part = queue.split("Expiring within 30 days")[1].split("</section>")[0]
    assert "OLD-1" in expired_part and "SOON-1" not in expired_part
    assert "SOON-1" in expiring_part and "OLD-1" not in expiring_part

    stock = client.get(reverse("pharmacy:stock")).content.decode()
    assert reverse("pharmacy:adjust", args=[far.pk]) in stock  # a batch far from expiry can be adjusted
    assert (
        reverse("pharmacy:adjust", args=[expired.pk]) in stock and reverse("pharmacy:adjust", args=[soon.pk]) in stock
    )
    assert "FAR-1" in client.get(reverse("pharmacy:stock"), {"q": "far"}).content.decode()
    assert "SOON-1" not in client.get(reverse("pharmacy:stock"), {"q": "far"}).content.decode()

    response = client.post(
        reverse("pharmacy:adjust", args=[far.pk]), {"quantity_change": "-2", "reason": "damaged", "note": "dropped"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("pharmacy:stock")
    assert StockBatch.objects.using("default").get(pk=far.pk).quantity_on_hand == 18
    assert StockMovement.objects.using("default").filter(batch=far, quantity=-2).count() == 1
    refused = client.post(reverse("pharmacy:adjust", args=[far.pk]), {"quantity_change": "-50", "reason": "damaged"})
    assert refused.status_code == 400
    assert StockBatch.objects.using("default").get(pk=far.pk).quantity_on_hand == 18  # nothing half-written


@on_stack
def test_prescription_and_dispensing_label_print(client, made):
    _as(client, "pharmacist")
    prescription = client.get(reverse("pharmacy:print_prescription", args=[made["prescription"].pk]))
    body = prescription.content.decode()
    assert prescription.status_code == 200
    assert "PHI0000001" in body and "Paracetamol 500 mg tablet" in body and "1 g, qid, for 3 days" in body
    assert "print-documents.css" in body and "data-print" in body
    label = client.get(reverse("pharmacy:dispense_label", args=[made["dispense"].pk])).content.decode()
    assert "Lot L1" in label and "PHI0000001" in label and "\u00d7 4" in label
    css = (Path(settings.BASE_DIR) / "static" / "css" / "print-documents.css").read_text()
    assert "@page prescription" in css and "@page label" in css and "@media print" in css
