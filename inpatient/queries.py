"""Inpatient queries: one function per question; they read where the router sends them.

The bed board and the census are read-side projections (reports/); these answer the working pages: the
queue, an admission's history, the beds a patient may be moved to.
"""

from django.db.models import Prefetch, QuerySet

from clinical.models import Encounter
from inpatient.models import QUEUE_ORDER, Admission, AdmissionRequest, Bed, BedAssignment, BedDayCharge, Ward


def wards() -> QuerySet[Ward]:
    return Ward.objects.select_related("department")


def beds() -> QuerySet[Bed]:
    return Bed.objects.select_related("ward", "reserved_for__patient")


def free_beds(*, ward_id: int | None = None) -> QuerySet[Bed]:
    found = beds().filter(status=Bed.Status.FREE, ward__active=True)
    return found.filter(ward_id=ward_id) if ward_id else found


def admissions() -> QuerySet[Admission]:
    """With their bed history (`admission.current_assignment` is the bed they are in)."""
    history = BedAssignment.objects.select_related("bed__ward").order_by("started_at", "id")
    return Admission.objects.select_related("patient", "encounter__department", "request").prefetch_related(
        Prefetch("assignments", queryset=history)
    )


def admission_requests() -> QuerySet[AdmissionRequest]:
    return AdmissionRequest.objects.select_related("patient", "ward", "encounter")


def admission_queue(*, ward_id: int | None = None) -> QuerySet[AdmissionRequest]:
    """Who is waiting for a bed, urgent first, then the longest waiting (with the beds held for them)."""
    waiting = admission_requests().filter(status=AdmissionRequest.Status.WAITING).prefetch_related("reserved_beds")
    if ward_id:
        waiting = waiting.filter(ward_id=ward_id) | waiting.filter(ward__isnull=True)
    return waiting.order_by(*QUEUE_ORDER)


def bed_history(*, admission_id: int) -> QuerySet[BedAssignment]:
    return BedAssignment.objects.select_related("bed__ward", "assigned_by").filter(admission_id=admission_id)


def bed_day_charges(*, admission_id: int) -> QuerySet[BedDayCharge]:
    return BedDayCharge.objects.select_related("ward", "bed", "invoice_line__invoice").filter(admission_id=admission_id)


def awaiting_admission() -> QuerySet[Encounter]:
    """Open inpatient encounters with no bed yet (the admit form's choices)."""
    return (
        Encounter.objects.select_related("patient", "department")
        .filter(type=Encounter.Type.INPATIENT, status=Encounter.Status.OPEN)
        .exclude(admissions__status=Admission.Status.ADMITTED)
        .order_by("-started_at", "-id")
    )


def current_admission(*, patient_id: int) -> Admission | None:
    return admissions().filter(patient_id=patient_id, status=Admission.Status.ADMITTED).first()
