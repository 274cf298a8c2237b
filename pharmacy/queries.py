"""Pharmacy queries: one function per question; they read where the router sends them."""

import datetime

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinical.models import Allergy, AllergyStatement
from core.routing.router import read_alias
from pharmacy import safety
from pharmacy.allocation import fefo_batches, plan_allocation
from pharmacy.models import Dispense, Drug, OrderCheck, Prescription, StockBatch, StockMovement

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


def expired_batches() -> QuerySet[StockBatch]:
    """Batches past their expiry date with stock still on the shelf: never dispensed, to be removed."""
    return batches().filter(quantity_on_hand__gt=0, expiry_date__lt=timezone.localdate()).order_by("expiry_date", "id")


def expiring_soon(*, within_days: int) -> QuerySet[StockBatch]:
    """Usable batches with stock that expire within N days (expired ones are `expired_batches`)."""
    return expiring_batches(within_days=within_days).filter(expiry_date__gte=timezone.localdate())


def stock_batches(*, q: str = "") -> QuerySet[StockBatch]:
    """Batches with stock for the stock page, by drug then expiry; `q` matches the drug's code or name or the
    lot."""
    found = batches().filter(quantity_on_hand__gt=0)
    for word in q.split()[:5]:
        found = found.filter(
            Q(drug__code__icontains=word) | Q(drug__generic_name__icontains=word) | Q(lot_number__icontains=word)
        )
    return found.order_by("drug__generic_name", "drug__strength", "expiry_date", "id")


def movements() -> QuerySet[StockMovement]:
    return StockMovement.objects.select_related("batch__drug")


def prescriptions() -> QuerySet[Prescription]:
    return Prescription.objects.select_related("drug", "encounter__patient", "prescriber")


def prescription_queue() -> QuerySet[Prescription]:
    """What the pharmacy has yet to dispense, oldest first; `overridden`: a safety check blocked it and the
    prescriber overrode it (the pharmacist looks twice)."""
    blocked = OrderCheck.objects.filter(prescription=OuterRef("pk"), stage="prescribing", action="block")
    return prescriptions().filter(status__in=OPEN).annotate(overridden=Exists(blocked)).order_by("prescribed_at", "id")


def dispense_worklist() -> QuerySet[Prescription]:
    """The queue as the pharmacy page shows it: each patient's MRN (in `encounter.patient`), their allergies
    on record (`known_allergies`, refuted ones aside) and their current allergy statement (`allergy_statement`:
    "nkda" / "nka", or None), so that a pharmacist sees who has allergies before opening the order."""
    known = Allergy.objects.exclude(verification=Allergy.Verification.REFUTED).order_by("substance", "pk")
    statement = AllergyStatement.objects.filter(patient=OuterRef("encounter__patient"), withdrawn_at__isnull=True)
    return (
        prescription_queue()
        .annotate(allergy_statement=Subquery(statement.order_by("-stated_at", "-pk").values("kind")[:1]))
        .prefetch_related(Prefetch("encounter__patient__allergies", queryset=known, to_attr="known_allergies"))
    )


def recent_dispenses(*, limit: int = 20) -> QuerySet[Dispense]:
    """The latest dispenses, newest first (the pharmacy page links their labels)."""
    return dispenses().select_related("prescription__encounter__patient").order_by("-dispensed_at", "-pk")[:limit]


def dispenses() -> QuerySet[Dispense]:
    return Dispense.objects.select_related("prescription__drug", "prescription__encounter").prefetch_related(
        "allocations__batch"
    )


def dispensing_history(*, patient_id: int) -> QuerySet[Dispense]:
    return dispenses().filter(prescription__encounter__patient_id=patient_id)


CURRENT = (Prescription.Status.ACTIVE, Prescription.Status.PARTIALLY_DISPENSED, Prescription.Status.DISPENSED)


def current_medications(*, patient_id: int) -> list[dict]:
    """What the patient is on now: every prescription not cancelled or stopped whose course has not run out
    (prescribed and not yet dispensed included: the next prescriber must see it), each with its state."""
    now = timezone.now()
    found = (
        Prescription.objects.with_course_end()
        .select_related("drug")
        .filter(encounter__patient_id=patient_id, status__in=CURRENT, prescribed_at__lte=now, course_end__gt=now)
        .order_by("-prescribed_at", "-id")
    )
    current = []
    for prescription in found:
        state = {
            Prescription.Status.ACTIVE: "prescribed, not yet dispensed",
            Prescription.Status.PARTIALLY_DISPENSED: (
                f"partly dispensed ({prescription.quantity_dispensed} of {prescription.quantity})"
            ),
            Prescription.Status.DISPENSED: "dispensed",
        }[prescription.status]
        current.append(
            {
                "prescription": prescription.pk,
                "drug": str(prescription.drug),
                "dose": prescription.dose,
                "frequency": prescription.frequency,
                "status": prescription.status,
                "state": state,
                "since": timezone.localtime(prescription.prescribed_at).date().isoformat(),
                "until": timezone.localtime(prescription.course_end).date().isoformat(),
            }
        )
    return current


def encounter_for_order(*, encounter_id: int, drug_id: int):
    """The encounter an order would be written in (and its drug exists), or a 400 on the field that is wrong."""
    from clinical.queries import encounters
    from core.errors import InvalidInput

    encounter = encounters().filter(pk=encounter_id).first()
    if encounter is None:
        raise InvalidInput(f"Encounter {encounter_id} does not exist.", field="encounter")
    if not Drug.objects.filter(pk=drug_id).exists():
        raise InvalidInput(f"Drug {drug_id} does not exist.", field="drug")
    return encounter


def order_review(*, patient_id: int, drug_id: int, duration_days: int) -> list[safety.Finding]:
    """What the safety checks would say if this drug were prescribed now (the page shows it before the
    prescriber confirms; the command checks again when it writes)."""
    return safety.for_new_order(
        patient_id=patient_id,
        drug_id=drug_id,
        duration_days=duration_days,
        at=timezone.now(),
        using=read_alias(),
    )


def order_checks(*, prescription_id: int) -> QuerySet[OrderCheck]:
    """The findings recorded with a prescription (at prescribing and each dispense), with who decided."""
    return OrderCheck.objects.select_related("decided_by").filter(prescription_id=prescription_id)


def dispense_preview(prescription: Prescription) -> dict:
    """What dispensing the rest of a prescription would do: the FEFO plan, the safety findings now, and
    what was decided about them when it was prescribed."""
    findings = safety.for_prescription(
        patient_id=prescription.encounter.patient_id,
        prescription_id=prescription.pk,
        at=timezone.now(),
        using=read_alias(),
    )
    return {
        "plan": plan_allocation(fefo_batches(prescription.drug, lock=False), prescription.remaining),
        "findings": findings,
        "blocks": safety.blocking(findings),
        "prescribing_checks": list(order_checks(prescription_id=prescription.pk).filter(stage="prescribing")),
    }
