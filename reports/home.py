"""Where each role lands after signing in (issue 25): its own worklist, never "your role has no reports".

The role is read from the user's groups (hmis/roles.py), first match in LANDINGS' order; admins and
report viewers land on the dashboard, as does anyone whose role has no worklist. Pages that already are a
role's worklist are reused as they are: the ward's patients (nurses), the dispense queue (pharmacists), the
clinician's queue (with their open encounters). The front desk and billing clerks get a page composed here.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from billing.models import Invoice
from billing.queries import invoices
from clinical.queries import patients
from core.audit import trail
from core.audit.models import AuditEvent
from pharmacy.views import queue as pharmacy_queue
from reports.board import ward_list
from reports.views import dashboard_page
from scheduling.queries import queue_entries
from scheduling.queries import today as hospital_today
from scheduling.views import my_queue

SHOWN = 50  # rows per worklist; the full lists are a link away
OVERDUE = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


def landing_role(user) -> str | None:
    """The role whose landing page this user gets (None: the dashboard)."""
    if user.is_superuser:
        return None
    held = set(user.groups.values_list("name", flat=True))
    return next((role for role in LANDINGS if role in held), None)


def front_desk_worklist() -> dict:
    """Today's registrations and check-ins (the hospital's day)."""
    day = hospital_today()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    registered = list(patients().filter(created_at__gte=start).order_by("-created_at", "-pk")[:SHOWN])
    checked_in = list(queue_entries().filter(day=day).order_by("-arrived_at", "-pk")[:SHOWN])
    return {"day": day, "registered": registered, "checked_in": checked_in}


def overdue_invoices() -> list[Invoice]:
    """Issued invoices past their due date with money still owed, the longest overdue first."""
    today = timezone.localdate()
    found = list(invoices().filter(status__in=OVERDUE, due_date__lt=today).order_by("due_date", "pk")[:SHOWN])
    for invoice in found:
        invoice.days_overdue = (today - invoice.due_date).days
    return found


def optional_url(name: str) -> str | None:
    """A page another part of the system may or may not offer yet (e.g. billing's unbilled encounters)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _front_desk(request):
    worklist = front_desk_worklist()
    trail.read(AuditEvent.Action.LIST, worklist["registered"] + worklist["checked_in"])
    return render(request, "reports/home/front_desk.html", worklist)


def _billing(request):
    overdue = overdue_invoices()
    trail.read(AuditEvent.Action.LIST, overdue)
    context = {"overdue": overdue, "unbilled_url": optional_url("billing:unbilled"), "today": timezone.localdate()}
    return render(request, "reports/home/billing.html", context)


LANDINGS = {
    "front_desk": _front_desk,
    "nurse": ward_list,  # the ward's patients (reports/board.py)
    "clinician": my_queue,  # their queue and open encounters (scheduling)
    "pharmacist": pharmacy_queue,  # the dispense queue
    "billing_clerk": _billing,
}


@login_required
def home(request):
    """The landing page: the user's role's worklist, else the dashboard."""
    role = landing_role(request.user)
    return LANDINGS[role](request) if role else dashboard_page(request)
