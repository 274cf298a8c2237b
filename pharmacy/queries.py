"""Pharmacy queries: one function per question; they read where the router sends them."""

import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pharmacy.allocation import fefo_batches, plan_allocation
from pharmacy.checks import allergy_conflicts
from pharmacy.models import Dispense, Drug, Prescription, StockBatch, StockMovement

OPEN = (Prescription.Status.ACTIVE, Prescription.Status.PARTIALLY_DISPENSED)


def drugs() -> QuerySet[Drug]:
    return Drug.objects.all()


def stock_levels() -> QuerySet[Drug]:
    """Per drug: usable units on hand (unexpired), expired units still on the shelf, earliest usable expiry."""
    today = timezone.localdate()
    usable = Q(batches__expiry_date__gte=today, batches__quantity_on_hand__gt=0)
    return Drug.objects.annotate(
        on_hand=Coalesce(Sum("batches__quantity_on_hand", filter=usable), Value(0)),
        expired_on_hand=Coalesce(Sum("batches__quantity_on_hand", filter=Q(batches__expiry_date__lt=today)), Value(0)),
        earliest_expiry=Min("batches__expiry_date", filter=usable),
        batch_count=Count("batches", filter=usable),
    ).annotate(
        below_reorder=ExpressionWrapper(Q(on_hand__lte=F("reorder_level")), output_field=BooleanField()),
    )


def low_stock() -> QuerySet[Drug]:
    return stock_levels().filter(active=True, on_hand__lte=F("reorder_level"))


def batches() -> QuerySet[StockBatch]:
    return StockBatch.objects.select_related("drug")


def expiring_batches(*, within_days: int) -> QuerySet[StockBatch]:
    """Batches with stock that expire within N days (already expired ones included: they must go)."""
    until = timezone.localdate() + datetime.timedelta(days=within_days)
    return batches().filter(quantity_on_hand__gt=0, expiry_date__lte=until).order_by("expiry_date", "id")


def movements() -> QuerySet[StockMovement]:
    return StockMovement.objects.select_related("batch__drug")


def prescriptions() -> QuerySet[Prescription]:
    return Prescription.objects.select_related("drug", "encounter__patient", "prescriber")


def prescription_queue() -> QuerySet[Prescription]:
    """What the pharmacy has yet to dispense, oldest first."""
    return prescriptions().filter(status__in=OPEN).order_by("prescribed_at", "id")


def dispenses() -> QuerySet[Dispense]:
    return Dispense.objects.select_related("prescription__drug", "prescription__encounter").prefetch_related(
        "allocations__batch"
    )


def dispensing_history(*, patient_id: int) -> QuerySet[Dispense]:
    return dispenses().filter(prescription__encounter__patient_id=patient_id)


def current_medications(*, patient_id: int) -> list[dict]:
    """What the patient is taking now: dispensed prescriptions whose course has not yet run out."""
    today = timezone.localdate()
    current = []
    seen = set()
    for dispense in dispensing_history(patient_id=patient_id).order_by("-dispensed_at"):
        prescription = dispense.prescription
        if prescription.pk in seen or prescription.status == Prescription.Status.CANCELLED:
            continue
        seen.add(prescription.pk)
        started = timezone.localtime(prescription.prescribed_at).date()
        until = started + datetime.timedelta(days=prescription.duration_days)
        if until < today:
            continue
        current.append(
            {
                "prescription": prescription.pk,
                "drug": str(prescription.drug),
                "dose": prescription.dose,
                "frequency": prescription.frequency,
                "since": started.isoformat(),
                "until": until.isoformat(),
                "last_dispensed_at": dispense.dispensed_at.isoformat(),
            }
        )
    return current


def dispense_preview(prescription: Prescription) -> dict:
    """What dispensing the rest of a prescription would do: the FEFO plan and any allergy conflicts."""
    return {
        "plan": plan_allocation(fefo_batches(prescription.drug, lock=False), prescription.remaining),
        "allergies": allergy_conflicts(patient_id=prescription.encounter.patient_id, drug=prescription.drug),
    }
