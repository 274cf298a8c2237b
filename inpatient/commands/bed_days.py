"""Bed-day charges: one line per occupied midnight (inpatient/nights.py), each charged once."""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from billing import commands as billing
from core.commands import get_locked
from core.errors import DomainError, InvalidInput
from inpatient import nights
from inpatient.commands.common import _insert, log
from inpatient.models import Admission, BedAssignment, BedDayCharge

# The hourly run charges this many nights back (each once): a run or two missed are caught up by the next.
CATCH_UP_NIGHTS = 3


def _charge_night(admission: Admission, night: datetime.date, *, charged_by: User | None = None) -> BedDayCharge | None:
    """Charge one night of a locked admission, if a bed held it at that midnight and it is not charged yet."""
    midnight = nights.midnight(night)
    assignment = (
        BedAssignment.objects.select_related("bed__ward")
        .filter(admission=admission, cancelled=False, started_at__lte=midnight)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=midnight))
        .first()
    )
    if assignment is None or BedDayCharge.objects.filter(admission=admission, night=night).exists():
        return None
    ward = assignment.bed.ward
    line = None
    if ward.bed_day_price > 0:
        invoice = billing.encounter_draft_invoice(encounter_id=admission.encounter_id, created_by=charged_by)
        line = billing.invoice_add_line(
            invoice_id=invoice.pk,
            description=f"Bed-day, night of {night:%d %b %Y}: {ward.name}, bed {assignment.bed.label}",
            unit_price=ward.bed_day_price,
        )
    charge = BedDayCharge(
        admission=admission,
        assignment=assignment,
        bed=assignment.bed,
        ward=ward,
        night=night,
        unit_price=ward.bed_day_price,
        invoice_line=line,
    )
    _insert(charge)
    return charge


@transaction.atomic(using="default")
def bed_day_charge(*, admission_id: int, night: datetime.date, charged_by: User | None = None) -> BedDayCharge | None:
    """One admission's night, charged at most once (None when there is nothing to charge)."""
    if night > nights.last_night():
        raise InvalidInput("That midnight has not come yet.", field="night")
    return _charge_night(get_locked(Admission, admission_id), night, charged_by=charged_by)


def bed_days_charge(
    *, through: datetime.date | None = None, since: datetime.date | None = None, charged_by: User | None = None
) -> int:
    """Every occupied midnight from `since` through `through` (default: the last CATCH_UP_NIGHTS nights)
    that is not charged yet gets one line on its encounter's draft invoice, at the price of the ward whose
    bed the patient was in at that midnight. Running it again charges nothing twice. Returns how many
    nights it charged. One transaction per night charged: a problem with one stay stops no other."""
    last = nights.last_night()
    through = through or last
    if through > last:
        raise InvalidInput("That midnight has not come yet.", field="through")
    since = since or through - datetime.timedelta(days=CATCH_UP_NIGHTS - 1)
    if since > through:
        raise InvalidInput("Start on or before the last night.", field="since")
    charged = 0
    for night in nights.between(since, through):
        midnight = nights.midnight(night)
        due = (
            BedAssignment.objects.using("default")
            .filter(cancelled=False, started_at__lte=midnight)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=midnight))
            .exclude(admission__bed_day_charges__night=night)
            .values_list("admission_id", flat=True)
            .order_by("admission_id")
        )
        for admission_id in list(due):
            try:
                if bed_day_charge(admission_id=admission_id, night=night, charged_by=charged_by):
                    charged += 1
            except DomainError as exc:  # an invoice full of lines, say: this stay waits, the others are charged
                log.warning("bed-day of admission %s, night %s, not charged: %s", admission_id, night, exc)
    return charged
