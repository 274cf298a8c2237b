"""Pharmacy commands: one function per business action, one transaction on the primary.

Stock only changes here, and every change writes a StockMovement, so a batch's quantity on hand always
equals the sum of its movements. Batches are locked FOR UPDATE in one fixed order (first expiry first),
so concurrent dispenses of the same drug queue up instead of overselling or deadlocking.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from billing import commands as billing
from billing.models import Invoice, Payer
from clinical.models import Encounter
from core.commands import get_locked, get_or_invalid, save_changes, save_new, validate
from core.errors import Conflict, InvalidInput
from pharmacy.allocation import fefo_batches, plan_allocation
from pharmacy.checks import allergy_conflicts
from pharmacy.models import Dispense, DispenseAllocation, Drug, Prescription, StockBatch, StockMovement

SELF_PAY = "Self-pay"


@transaction.atomic(using="default")
def drug_create(
    *,
    code: str,
    generic_name: str,
    form: str,
    strength: str,
    unit: str,
    unit_price: Decimal,
    ingredients: list[str],
    reorder_level: int = 0,
) -> Drug:
    drug = Drug(
        code=code.strip().upper(),
        generic_name=generic_name.strip(),
        form=form,
        strength=strength.strip(),
        unit=unit.strip(),
        unit_price=billing.cents(unit_price),
        reorder_level=reorder_level,
        ingredients=sorted({i.strip().lower() for i in ingredients if i.strip()}),
    )
    if not drug.ingredients:
        raise InvalidInput("Name at least one active ingredient.", field="ingredients")
    validate(drug)
    return save_new(drug, on_conflict="A drug with this code already exists.", field="code")


@transaction.atomic(using="default")
def drug_update(*, drug_id: int, **changes) -> Drug:
    """Formulary changes: price, reorder level, names, ingredients, or taking it off the formulary."""
    if "unit_price" in changes:
        changes["unit_price"] = billing.cents(changes["unit_price"])
    if "ingredients" in changes:
        changes["ingredients"] = sorted({i.strip().lower() for i in changes["ingredients"] if i.strip()})
        if not changes["ingredients"]:
            raise InvalidInput("Name at least one active ingredient.", field="ingredients")
    allowed = ("generic_name", "form", "strength", "unit", "unit_price", "reorder_level", "ingredients", "active")
    return save_changes(get_locked(Drug, drug_id), changes, allowed=allowed)


@transaction.atomic(using="default")
def stock_receive(
    *,
    drug_id: int,
    lot_number: str,
    expiry_date: datetime.date,
    quantity: int,
    unit_cost: Decimal,
    received_by: User | None = None,
) -> StockBatch:
    """Stock arriving: a new batch, or more of a lot already on the shelf (same expiry)."""
    drug = get_or_invalid(Drug, drug_id, field="drug")
    if quantity <= 0:
        raise InvalidInput("Receive at least one unit.", field="quantity")
    if expiry_date <= timezone.localdate():
        raise InvalidInput("This stock has already expired.", field="expiry_date")
    lot_number = lot_number.strip()
    batch = StockBatch.objects.select_for_update().filter(drug=drug, lot_number=lot_number).first()
    if batch is None:
        batch = StockBatch(
            drug=drug,
            lot_number=lot_number,
            expiry_date=expiry_date,
            quantity_on_hand=0,
            unit_cost=billing.cents(unit_cost),
        )
        validate(batch)
        save_new(batch, on_conflict="This lot was just received; try again.", field="lot_number")
    elif batch.expiry_date != expiry_date:
        raise InvalidInput(f"Lot {lot_number} is on file with expiry {batch.expiry_date}.", field="expiry_date")
    _move(batch, StockMovement.Kind.RECEIPT, quantity, created_by=received_by)
    return batch


@transaction.atomic(using="default")
def stock_adjust(
    *, batch_id: int, quantity_change: int, reason: str, note: str = "", adjusted_by: User | None = None
) -> StockBatch:
    """A correction with a reason: damaged, expired, or a count that differs from the books."""
    batch = get_locked(StockBatch, batch_id)
    if reason not in StockMovement.Reason.values:
        raise InvalidInput(f"Choose a reason: {', '.join(StockMovement.Reason.values)}.", field="reason")
    if quantity_change == 0:
        raise InvalidInput("An adjustment changes the quantity.", field="quantity_change")
    if batch.quantity_on_hand + quantity_change < 0:
        raise InvalidInput(f"Only {batch.quantity_on_hand} on hand in this batch.", field="quantity_change")
    _move(batch, StockMovement.Kind.ADJUSTMENT, quantity_change, reason=reason, note=note, created_by=adjusted_by)
    return batch


def _move(batch: StockBatch, kind: str, quantity: int, **movement) -> None:
    batch.quantity_on_hand += quantity
    batch.save(using="default", update_fields=["quantity_on_hand"])
    StockMovement.objects.create(batch=batch, kind=kind, quantity=quantity, **movement)


@transaction.atomic(using="default")
def prescription_create(
    *,
    encounter_id: int,
    drug_id: int,
    dose: str,
    frequency: str,
    duration_days: int,
    quantity: int,
    prescriber: User,
    notes: str = "",
) -> Prescription:
    encounter = get_or_invalid(Encounter, encounter_id, field="encounter")
    if encounter.status != Encounter.Status.OPEN:
        raise Conflict(f"Encounter {encounter.pk} is closed; prescribe in an open encounter.", field="encounter")
    drug = get_or_invalid(Drug, drug_id, field="drug")
    if not drug.active:
        raise InvalidInput(f"{drug} is no longer on the formulary.", field="drug")
    prescription = Prescription(
        encounter=encounter,
        drug=drug,
        dose=dose,
        frequency=frequency,
        duration_days=duration_days,
        quantity=quantity,
        prescriber=prescriber,
        notes=notes,
    )
    if quantity <= 0:
        raise InvalidInput("Prescribe at least one unit.", field="quantity")
    validate(prescription)
    prescription.save(using="default")
    return prescription


@transaction.atomic(using="default")
def prescription_cancel(*, prescription_id: int) -> Prescription:
    prescription = get_locked(Prescription, prescription_id)
    if prescription.status not in (Prescription.Status.ACTIVE, Prescription.Status.PARTIALLY_DISPENSED):
        raise Conflict(f"Prescription {prescription.pk} is {prescription.get_status_display().lower()}.")
    prescription.status = Prescription.Status.CANCELLED
    prescription.save(using="default", update_fields=["status"])
    return prescription


def _draft_invoice_for(encounter: Encounter, created_by: User | None) -> Invoice:
    """The encounter's draft invoice; a new self-pay one when there is none (the encounter row is locked)."""
    draft = (
        Invoice.objects.select_for_update()
        .filter(encounter=encounter, status=Invoice.Status.DRAFT)
        .order_by("id")
        .first()
    )
    if draft:
        return draft
    payer, _ = Payer.objects.get_or_create(
        name=SELF_PAY, defaults={"kind": Payer.Kind.SELF_PAY, "payment_terms_days": 0}
    )
    return Invoice.objects.create(
        patient_id=encounter.patient_id,
        encounter=encounter,
        payer=payer,
        posting_date=timezone.localdate(),
        due_date=timezone.localdate() + datetime.timedelta(days=payer.payment_terms_days),
        created_by=created_by,
    )


@transaction.atomic(using="default")
def medication_dispense(
    *,
    prescription_id: int,
    quantity: int | None = None,
    dispensed_by: User | None = None,
    allergy_override_reason: str = "",
) -> Dispense:
    """Dispense (part of) a prescription: allergy check, FEFO allocation, stock ledger, charge capture."""
    prescription = get_locked(Prescription, prescription_id, field="prescription")
    if prescription.status not in (Prescription.Status.ACTIVE, Prescription.Status.PARTIALLY_DISPENSED):
        state = prescription.get_status_display().lower()
        raise Conflict(f"Prescription {prescription.pk} is {state}; nothing to dispense.", field="prescription")
    quantity = prescription.remaining if quantity is None else quantity
    if quantity <= 0:
        raise InvalidInput("Dispense at least one unit.", field="quantity")
    if quantity > prescription.remaining:
        raise InvalidInput(f"Only {prescription.remaining} left to dispense on this prescription.", field="quantity")

    if dispensed_by is not None and dispensed_by.pk == prescription.prescriber_id:
        # Separation of duties: a second person checks every order before the drug is given.
        raise Conflict("You prescribed this; another member of staff must dispense it.", field="prescription")

    encounter = Encounter.objects.select_for_update().get(pk=prescription.encounter_id)
    drug = prescription.drug
    conflicts = allergy_conflicts(patient_id=encounter.patient_id, drug=drug)
    override = allergy_override_reason.strip()
    if conflicts and not override:
        raise Conflict(
            f"The patient is allergic to {'; '.join(conflicts)}. Give an override reason to dispense anyway.",
            field="allergy_override_reason",
        )

    plan = plan_allocation(fefo_batches(drug, lock=True), quantity)
    if not plan:
        available = sum(b.quantity_on_hand for b in fefo_batches(drug, lock=False))
        raise Conflict(
            f"Insufficient stock: {quantity} {drug.unit}(s) of {drug} asked, {available} available.", field="quantity"
        )

    invoice = _draft_invoice_for(encounter, dispensed_by)
    line = billing.invoice_add_line(
        invoice_id=invoice.pk,
        description=f"{drug.generic_name} {drug.strength} ({drug.code})",
        unit_price=drug.unit_price,
        quantity=Decimal(quantity),
    )
    dispense = Dispense.objects.create(
        prescription=prescription,
        quantity=quantity,
        dispensed_by=dispensed_by,
        allergy_override_reason=override if conflicts else "",
        allergy_override_by=dispensed_by if conflicts else None,
        invoice_line=line,
    )
    for batch, take in plan:
        DispenseAllocation.objects.create(dispense=dispense, batch=batch, quantity=take)
        _move(batch, StockMovement.Kind.DISPENSE, -take, dispense=dispense, created_by=dispensed_by)

    prescription.quantity_dispensed += quantity
    prescription.status = (
        Prescription.Status.DISPENSED if prescription.remaining == 0 else Prescription.Status.PARTIALLY_DISPENSED
    )
    prescription.save(using="default", update_fields=["quantity_dispensed", "status"])
    return dispense
