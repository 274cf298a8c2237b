"""Wards and beds (the admin), and housekeeping."""

import datetime

from django.contrib.auth.models import User
from django.db import transaction

from billing import commands as billing
from clinical.models import Department
from core.commands import get_locked, get_or_invalid, lock_or_invalid, save_changes, save_new, validate
from core.errors import Conflict, InvalidInput
from inpatient.commands.common import _hold_a_bed_for, _moment, _offer_to_queue, _set_status
from inpatient.models import Bed, Ward


@transaction.atomic(using="default")
def ward_create(
    *, code: str, name: str, department_id: int, bed_day_price, sex_policy: str = Ward.SexPolicy.ANY
) -> Ward:
    ward = Ward(
        code=code.strip().upper(),
        name=name.strip(),
        department=get_or_invalid(Department, department_id, field="department"),
        sex_policy=sex_policy,
        bed_day_price=billing.cents(bed_day_price),
    )
    validate(ward)
    return save_new(ward, on_conflict="A ward with this code or name already exists.", field="code")


@transaction.atomic(using="default")
def ward_update(*, ward_id: int, **changes) -> Ward:
    """Rename, move to another department, change the sex policy or the bed-day price (nights charged
    before keep their price), or close the ward (active=False) once its beds are empty."""
    ward = get_locked(Ward, ward_id)
    if "department_id" in changes:
        changes["department"] = get_or_invalid(Department, changes.pop("department_id"), field="department")
    if "bed_day_price" in changes:
        changes["bed_day_price"] = billing.cents(changes["bed_day_price"])
    if changes.get("active") is False and ward.beds.filter(status=Bed.Status.OCCUPIED).exists():
        raise Conflict("Patients are in this ward's beds; transfer or discharge them first.", field="active")
    return save_changes(
        ward,
        changes,
        allowed=("name", "department", "sex_policy", "bed_day_price", "active"),
        on_conflict="A ward with this name already exists.",
        field="name",
    )


@transaction.atomic(using="default")
def bed_create(*, ward_id: int, label: str, in_service_since: datetime.datetime | None = None) -> Bed:
    """A new bed, free (and offered to the queue). `in_service_since`: when it was put in service, if not now
    (a ward entered after it opened: the census counts the bed from then)."""
    since = _moment(in_service_since, "in_service_since")
    bed = Bed(
        ward=lock_or_invalid(Ward, ward_id, field="ward"),
        label=label.strip(),
        created_at=since,
        status_changed_at=since,
    )
    validate(bed)
    save_new(bed, on_conflict=f"The ward has a bed {bed.label} already.", field="label")
    _offer_to_queue(bed)
    return bed


@transaction.atomic(using="default")
def bed_update(*, bed_id: int, label: str) -> Bed:
    return save_changes(
        get_locked(Bed, bed_id),
        {"label": label.strip()},
        allowed=("label",),
        on_conflict="The ward has this bed already.",
        field="label",
    )


# Housekeeping: the statuses staff set by hand, and from which. Occupied comes and goes with patients only.
# A hold is released by cancelling the request it is for (admission_request_cancel), not by hand.
HOUSEKEEPING = {
    Bed.Status.FREE: (Bed.Status.CLEANING, Bed.Status.OUT_OF_SERVICE),
    Bed.Status.CLEANING: (Bed.Status.FREE, Bed.Status.OUT_OF_SERVICE),
    Bed.Status.OUT_OF_SERVICE: (Bed.Status.FREE, Bed.Status.CLEANING, Bed.Status.RESERVED),
}


@transaction.atomic(using="default")
def bed_set_status(*, bed_id: int, status: str, note: str = "", changed_by: User | None = None) -> Bed:
    """Housekeeping: a bed cleaned (free), out of service (with why) or back in service. A bed that becomes
    free goes to the first patient waiting for it; a held bed that breaks is replaced by another free one."""
    bed = get_locked(Bed, bed_id)
    held_for = bed.reserved_for
    if status not in HOUSEKEEPING:
        raise InvalidInput("Set a bed free, cleaning, or out of service.", field="status")
    if bed.status == status:
        raise Conflict(f"{bed} is {bed.get_status_display().lower()} already.", field="status")
    if bed.status not in HOUSEKEEPING[status]:
        state = bed.get_status_display().lower()
        raise Conflict(
            f"{bed} is {state}: it cannot be made {Bed.Status(status).label.lower()} by hand.", field="status"
        )
    if status == Bed.Status.OUT_OF_SERVICE and not note.strip():
        raise InvalidInput("Say why the bed is out of service.", field="note")
    _set_status(bed, status, note=note.strip() if status == Bed.Status.OUT_OF_SERVICE else "")
    if status == Bed.Status.FREE:
        _offer_to_queue(bed)
    if held_for is not None:
        _hold_a_bed_for(held_for)
    return bed
