"""The queue and the stay: admission requests, admit, transfer, discharge order and discharge, and an
admission cancelled as made in error."""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone

from clinical import commands as clinical
from clinical.models import Encounter, Patient
from core.commands import get_locked, get_or_invalid, lock_or_invalid, validate
from core.errors import Conflict, InvalidInput
from inpatient import nights
from inpatient.commands.bed_days import _charge_night
from inpatient.commands.common import _free, _hold_a_bed_for, _insert, _moment, _set_status, _sex_allows
from inpatient.models import Admission, AdmissionRequest, Bed, BedAssignment, Ward


def _admissible_encounter(encounter_id: int) -> Encounter:
    """The encounter, locked: open, inpatient, not in a bed already."""
    encounter = lock_or_invalid(Encounter, encounter_id, field="encounter")
    if encounter.type != Encounter.Type.INPATIENT:
        raise InvalidInput("Admit an inpatient encounter (start one for the patient first).", field="encounter")
    if encounter.status != Encounter.Status.OPEN:
        raise Conflict(f"Encounter {encounter.pk} is closed.", field="encounter")
    if Admission.objects.filter(encounter=encounter, status=Admission.Status.ADMITTED).exists():
        raise Conflict("This encounter is already admitted.", field="encounter")
    if Admission.objects.filter(patient_id=encounter.patient_id, status=Admission.Status.ADMITTED).exists():
        raise Conflict("The patient is already admitted (another encounter).", field="encounter")
    return encounter


def _waiting_request(encounter: Encounter) -> AdmissionRequest | None:
    return (
        AdmissionRequest.objects.select_for_update()
        .filter(encounter=encounter, status=AdmissionRequest.Status.WAITING)
        .first()
    )


@transaction.atomic(using="default")
def admission_request_create(
    *,
    encounter_id: int,
    ward_id: int | None = None,
    priority: str = AdmissionRequest.Priority.ROUTINE,
    note: str = "",
    requested_by: User | None = None,
) -> AdmissionRequest:
    """Put an inpatient encounter in the queue for a bed (in a ward, or any ward)."""
    encounter = _admissible_encounter(encounter_id)
    if _waiting_request(encounter):
        raise Conflict("This encounter is already waiting for a bed.", field="encounter")
    ward = get_or_invalid(Ward, ward_id, field="ward") if ward_id is not None else None
    if ward is not None and not ward.active:
        raise InvalidInput(f"{ward} is closed.", field="ward")
    request = AdmissionRequest(
        encounter=encounter,
        patient_id=encounter.patient_id,
        ward=ward,
        priority=priority,
        note=note.strip(),
        requested_by=requested_by,
    )
    validate(request, exclude=["encounter", "patient"])
    _insert(request)
    _hold_a_bed_for(request)
    return request


def _close_request(request: AdmissionRequest, status: str) -> None:
    request.status, request.closed_at = status, timezone.now()
    request.save(using="default", update_fields=["status", "closed_at"])
    for bed in Bed.objects.select_for_update().filter(reserved_for=request).order_by("id"):
        _free(bed)


@transaction.atomic(using="default")
def admission_request_cancel(*, request_id: int) -> AdmissionRequest:
    """The patient no longer needs a bed (went home, admitted elsewhere): out of the queue, and a bed held
    for them goes to the next."""
    request = get_locked(AdmissionRequest, request_id, label="Admission request")
    if request.status != AdmissionRequest.Status.WAITING:
        raise Conflict(f"This request is {request.get_status_display().lower()}.")
    _close_request(request, AdmissionRequest.Status.CANCELLED)
    return request


def _bed_for(encounter: Encounter, request: AdmissionRequest | None, ward_id: int) -> Bed | None:
    """A bed of the ward for this patient, locked: the one held for their request, else the first free one.
    Beds another admission is taking right now are skipped, not waited for."""
    if request is not None:
        held = Bed.objects.select_for_update().filter(reserved_for=request, ward_id=ward_id).first()
        if held:
            return held
    return (
        Bed.objects.select_for_update(skip_locked=True)
        .filter(ward_id=ward_id, status=Bed.Status.FREE)
        .order_by(Length("label"), "label", "id")  # bed 2 before bed 10
        .first()
    )


def _check_bed_takes(bed: Bed, patient: Patient, request: AdmissionRequest | None) -> None:
    if not bed.ward.active:
        raise InvalidInput(f"{bed.ward} is closed.", field="bed")
    if bed.status == Bed.Status.RESERVED and (request is None or bed.reserved_for_id != request.pk):
        raise Conflict(f"{bed} is held for another patient waiting for a bed.", field="bed")
    if bed.status not in (Bed.Status.FREE, Bed.Status.RESERVED):
        raise Conflict(f"{bed} is {bed.get_status_display().lower()}.", field="bed")
    if not _sex_allows(bed.ward, patient):
        raise InvalidInput(f"{bed.ward} is for {bed.ward.get_sex_policy_display().lower()}.", field="bed")


@transaction.atomic(using="default")
def admission_admit(
    *,
    encounter_id: int,
    bed_id: int | None = None,
    ward_id: int | None = None,
    admitted_by: User | None = None,
    admitted_at: datetime.datetime | None = None,
    priority: str = AdmissionRequest.Priority.ROUTINE,
    note: str = "",
) -> Admission | AdmissionRequest:
    """Admit an inpatient encounter to a bed: the bed named (409 when it is not free), or the first free
    bed of the ward named. When the ward has none, the encounter waits in the queue and its request is
    returned instead (the first bed freed in that ward is reserved for it)."""
    if bed_id is None and ward_id is None:
        raise InvalidInput("Choose a bed, or a ward to take its first free bed.", field="bed")
    at = _moment(admitted_at, "admitted_at")
    encounter = _admissible_encounter(encounter_id)
    if at < encounter.started_at:
        raise InvalidInput("The admission cannot be before the encounter started.", field="admitted_at")
    request = _waiting_request(encounter)
    patient = Patient.objects.get(pk=encounter.patient_id)
    if bed_id is not None:
        bed = lock_or_invalid(Bed, bed_id, field="bed")
    else:
        ward = get_or_invalid(Ward, ward_id, field="ward")
        bed = _bed_for(encounter, request, ward.pk)
        if bed is None:
            if request is None:
                request = AdmissionRequest(
                    encounter=encounter,
                    patient=patient,
                    ward=ward,
                    priority=priority,
                    note=note.strip(),
                    requested_by=admitted_by,
                )
                validate(request, exclude=["encounter", "patient"])
                _insert(request)
            return request
    _check_bed_takes(bed, patient, request)

    admission = Admission(
        encounter=encounter, patient=patient, request=request, admitted_at=at, admitted_by=admitted_by
    )
    _insert(admission)
    _insert(
        BedAssignment(
            admission=admission,
            patient=patient,
            bed=bed,
            reason=BedAssignment.Reason.ADMISSION,
            started_at=at,
            assigned_by=admitted_by,
        )
    )
    _set_status(bed, Bed.Status.OCCUPIED)
    if request is not None:
        _close_request(request, AdmissionRequest.Status.ADMITTED)  # frees any other bed held for it
    return admission


def _current(admission_id: int) -> tuple[Admission, BedAssignment]:
    admission = get_locked(Admission, admission_id)
    if admission.status != Admission.Status.ADMITTED:
        raise Conflict(f"Admission {admission.pk} is {admission.get_status_display().lower()}.")
    assignment = (
        BedAssignment.objects.select_for_update()
        .filter(admission=admission, ended_at__isnull=True, cancelled=False)
        .get()
    )
    return admission, assignment


def _locked_beds(*ids: int) -> dict[int, Bed]:
    """Beds locked in id order (two transfers swapping beds never wait for each other in a circle)."""
    return {bed.pk: bed for bed in Bed.objects.select_for_update().filter(pk__in=ids).order_by("id")}


@transaction.atomic(using="default")
def admission_transfer(
    *,
    admission_id: int,
    bed_id: int,
    transferred_by: User | None = None,
    transferred_at: datetime.datetime | None = None,
) -> BedAssignment:
    """Move the patient to another bed (the same ward or another): the old assignment ends, a new one starts
    at the same moment, the old bed goes for cleaning. A bed that is not free is refused (409)."""
    at = _moment(transferred_at, "transferred_at")
    admission, current = _current(admission_id)
    if current.bed_id == bed_id:
        raise InvalidInput("The patient is in this bed already.", field="bed")
    if not Bed.objects.filter(pk=bed_id).exists():
        raise InvalidInput(f"Bed {bed_id} does not exist.", field="bed")
    beds = _locked_beds(current.bed_id, bed_id)
    old, new = beds[current.bed_id], beds[bed_id]
    _check_bed_takes(new, admission.patient, None)
    if at <= current.started_at:
        raise InvalidInput("A transfer comes after the patient arrived in their bed.", field="transferred_at")
    current.ended_at = at
    current.save(using="default", update_fields=["ended_at"])
    moved = BedAssignment(
        admission=admission,
        patient_id=admission.patient_id,
        bed=new,
        reason=BedAssignment.Reason.TRANSFER,
        started_at=at,
        assigned_by=transferred_by,
    )
    _insert(moved)
    _set_status(old, Bed.Status.CLEANING, at=at)
    _set_status(new, Bed.Status.OCCUPIED, at=at)
    return moved


@transaction.atomic(using="default")
def admission_order_discharge(
    *,
    admission_id: int,
    disposition: str = Admission.Disposition.HOME,
    follow_up: str = "",
    ordered_by: User | None = None,
    ordered_at: datetime.datetime | None = None,
) -> Admission:
    """The clinician's order: the patient may go. The bed stays theirs until they actually leave."""
    at = _moment(ordered_at, "ordered_at")
    admission, _current_bed = _current(admission_id)
    if admission.discharge_ordered:
        raise Conflict("Discharge is ordered already.")
    if disposition not in Admission.Disposition.values:
        raise InvalidInput(f"Choose one of: {', '.join(Admission.Disposition.values)}.", field="disposition")
    if at < admission.admitted_at:
        raise InvalidInput("The order cannot come before the admission.", field="ordered_at")
    admission.discharge_ordered_at, admission.discharge_ordered_by = at, ordered_by
    admission.disposition, admission.follow_up = disposition, follow_up.strip()
    admission.save(
        using="default", update_fields=["discharge_ordered_at", "discharge_ordered_by", "disposition", "follow_up"]
    )
    return admission


@transaction.atomic(using="default")
def admission_discharge(
    *, admission_id: int, discharged_by: User | None = None, discharged_at: datetime.datetime | None = None
) -> Admission:
    """The patient leaves: the bed goes for cleaning (free once housekeeping says so), the encounter closes,
    and every midnight spent in hospital up to now is charged (the final bill is complete)."""
    at = _moment(discharged_at, "discharged_at")
    admission, current = _current(admission_id)
    if not admission.discharge_ordered:
        raise Conflict("Discharge has not been ordered: a clinician orders it first.")
    if at <= current.started_at:
        raise InvalidInput("The discharge comes after the patient arrived in their bed.", field="discharged_at")
    current.ended_at = at
    current.save(using="default", update_fields=["ended_at"])
    _set_status(_locked_beds(current.bed_id)[current.bed_id], Bed.Status.CLEANING, at=at)
    admission.status, admission.discharged_at, admission.discharged_by = Admission.Status.DISCHARGED, at, discharged_by
    admission.save(using="default", update_fields=["status", "discharged_at", "discharged_by"])
    encounter = Encounter.objects.get(pk=admission.encounter_id)
    if encounter.status == Encounter.Status.OPEN:
        clinical.encounter_close(encounter_id=encounter.pk, ended_at=max(at, encounter.started_at))
    through = nights.last_night(at)
    for night in nights.between(nights.night_of(admission.admitted_at), through):
        _charge_night(admission, night, charged_by=discharged_by)
    return admission


@transaction.atomic(using="default")
def admission_cancel(*, admission_id: int, reason: str, cancelled_by: User | None = None) -> Admission:
    """An admission made in error (wrong patient, wrong encounter): struck out, kept on record. Its bed is
    free again at once; the encounter goes back to the queue if it came from it. Once a night has been
    charged the stay was real: discharge it instead, and credit the invoice if need be."""
    admission, current = _current(admission_id)
    if not reason.strip():
        raise InvalidInput("Say why the admission was made in error.", field="reason")
    if admission.bed_day_charges.exists():
        raise Conflict("Nights of this stay are charged already: discharge the patient instead.")
    for assignment in BedAssignment.objects.select_for_update().filter(admission=admission):
        assignment.cancelled = True
        assignment.save(using="default", update_fields=["cancelled"])  # saved one by one: outbox and audit see each
    admission.status, admission.cancelled_at = Admission.Status.CANCELLED, timezone.now()
    admission.cancelled_by, admission.cancel_reason = cancelled_by, reason.strip()
    admission.save(using="default", update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    if admission.request_id is not None:
        request = AdmissionRequest.objects.select_for_update().get(pk=admission.request_id)
        if not AdmissionRequest.objects.filter(encounter_id=request.encounter_id, status="waiting").exists():
            request.status, request.closed_at = AdmissionRequest.Status.WAITING, None
            request.save(using="default", update_fields=["status", "closed_at"])
    _free(_locked_beds(current.bed_id)[current.bed_id])
    return admission
