"""What the inpatient commands share: constraint messages, moments, and a bed's status with the queue."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone

from clinical.models import Patient
from core.errors import Conflict, InvalidInput
from inpatient.models import QUEUE_ORDER, AdmissionRequest, Bed, Ward

log = logging.getLogger("hmis.inpatient")

# A moment given for something that happened ("admitted at") may be this far ahead of our clock.
CLOCK_SKEW = datetime.timedelta(minutes=5)

# Constraint -> (message, field) for races the locks cannot see coming (the database had the last word).
CONSTRAINTS = {
    "bed_holds_one_patient_at_a_time": ("This bed was taken by another patient at that time.", "bed"),
    "patient_in_one_bed_at_a_time": ("The patient is already in a bed at that time.", "encounter"),
    "admission_one_at_a_time_per_patient": ("The patient is already admitted at that time.", "encounter"),
    "one_admission_per_encounter": ("This encounter is already admitted.", "encounter"),
    "one_open_assignment_per_admission": ("The patient was just moved; look again.", "bed"),
    "one_waiting_request_per_encounter": ("This encounter is already waiting for a bed.", "encounter"),
    "one_bed_day_charge_per_night": ("This night is already charged.", "night"),
    "one_bed_day_charge_per_bed_night": ("This bed's night is already charged.", "night"),
}


def _constraint_of(exc: IntegrityError) -> str:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or ""


def _insert(instance) -> None:
    """Insert in a savepoint; a constraint that settles a race becomes a 409 that says which."""
    try:
        with transaction.atomic(using="default"):
            instance.save(using="default")
    except IntegrityError as exc:
        known = CONSTRAINTS.get(_constraint_of(exc))
        if known is None:
            raise
        raise Conflict(known[0], field=known[1]) from exc


def _moment(at: datetime.datetime | None, field: str) -> datetime.datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise InvalidInput("Give the time with its time zone.", field=field)
    if at > now + CLOCK_SKEW:
        raise InvalidInput("This cannot be in the future.", field=field)
    return at


def _set_status(bed: Bed, status: str, *, at: datetime.datetime | None = None, reserved_for=None, note=None) -> None:
    bed.status, bed.reserved_for = status, reserved_for
    bed.status_changed_at = at or timezone.now()
    fields = ["status", "reserved_for", "status_changed_at"]
    if note is not None:
        bed.note = note
        fields.append("note")
    bed.save(using="default", update_fields=fields)


def _sex_allows(ward: Ward, patient: Patient) -> bool:
    """A women-only ward takes no man, a men-only ward no woman (other and unknown: the staff decide)."""
    return not (
        (ward.sex_policy == Ward.SexPolicy.FEMALE and patient.sex == Patient.Sex.MALE)
        or (ward.sex_policy == Ward.SexPolicy.MALE and patient.sex == Patient.Sex.FEMALE)
    )


def _offer_to_queue(bed: Bed) -> AdmissionRequest | None:
    """A free bed goes to the first waiting request that wants its ward (or any ward) and holds no bed yet."""
    if bed.status != Bed.Status.FREE or not bed.ward.active:
        return None
    waiting = (
        AdmissionRequest.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("patient")
        .filter(status=AdmissionRequest.Status.WAITING)
        .filter(Q(ward_id=bed.ward_id) | Q(ward__isnull=True))
        .exclude(pk__in=Bed.objects.filter(reserved_for__isnull=False).values("reserved_for_id"))
        .order_by(*QUEUE_ORDER)
    )
    for request in waiting[:20]:
        if _sex_allows(bed.ward, request.patient):
            _set_status(bed, Bed.Status.RESERVED, reserved_for=request)
            return request
    return None


def _free(bed: Bed) -> None:
    _set_status(bed, Bed.Status.FREE)
    _offer_to_queue(bed)


def _hold_a_bed_for(request: AdmissionRequest) -> Bed | None:
    """A free bed where the request wants one (skipping beds others are taking) is held for it at once."""
    free = Bed.objects.select_for_update(of=("self",), skip_locked=True).select_related("ward")
    free = free.filter(status=Bed.Status.FREE, ward__active=True).order_by("ward__name", Length("label"), "label", "id")
    if request.ward_id is not None:
        free = free.filter(ward_id=request.ward_id)
    patient = Patient.objects.get(pk=request.patient_id)
    for bed in free[:50]:
        if _sex_allows(bed.ward, patient):
            _set_status(bed, Bed.Status.RESERVED, reserved_for=request)
            return bed
    return None
