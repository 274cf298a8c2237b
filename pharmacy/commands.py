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
from clinical.models import Encounter
from core.audit import writes as audit_writes
from core.commands import get_locked, get_or_invalid, lock_or_invalid, save_changes, save_new, validate
from core.errors import Conflict, InvalidInput
from pharmacy import safety
from pharmacy.allocation import fefo_batches, plan_allocation
from pharmacy.models import Dispense, DispenseAllocation, Drug, OrderCheck, Prescription, StockBatch, StockMovement
from pharmacy.safety.classes import canonical

SELF_PAY = billing.SELF_PAY


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
        ingredients=_ingredients(ingredients),
    )
    if not drug.ingredients:
        raise InvalidInput("Name at least one active ingredient.", field="ingredients")
    validate(drug)
    return save_new(drug, on_conflict="A drug with this code already exists.", field="code")


def _ingredients(names: list[str]) -> list[str]:
    """Lower case, sorted, each by the name the safety tables use (amoxycillin -> amoxicillin)."""
    return sorted({canonical(name) for name in names if name.strip()})


@transaction.atomic(using="default")
def drug_update(*, drug_id: int, **changes) -> Drug:
    """Formulary changes: price, reorder level, names, ingredients, or taking it off the formulary."""
    if "unit_price" in changes:
        changes["unit_price"] = billing.cents(changes["unit_price"])
    if "ingredients" in changes:
        changes["ingredients"] = _ingredients(changes["ingredients"])
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


class SafetyBlock(Conflict):
    """409: a safety check blocks the order and no override reason was given; nothing was written. The
    API answers the findings beside the errors (`checks`), each naming its rule and the field to override."""

    def __init__(self, findings: list[safety.Finding], *, doing: str):
        super().__init__(
            errors=safety.refusal(safety.blocking(findings), doing=doing),
            extra={"checks": [f.as_dict() for f in findings]},
        )
        self.findings = findings


def _decide(findings: list[safety.Finding], override_reason: str, *, doing: str) -> str:
    """The override reason when a finding blocks (SafetyBlock without one), else ""."""
    reason = (override_reason or "").strip()
    if not safety.blocking(findings):
        return ""
    if not reason:
        raise SafetyBlock(findings, doing=doing)
    return reason


def _record_checks(findings, *, prescription, stage, reason, by, dispense=None) -> None:
    """Each finding with what was decided, in one statement, and audited like any write."""
    checks = OrderCheck.objects.bulk_create(
        OrderCheck(
            prescription=prescription,
            dispense=dispense,
            stage=stage,
            rule=f.rule,
            action=f.action,
            subject=f.subject[:200],
            message=f.message[:500],
            override_reason=reason if f.blocks else "",
            decided_by=by,
        )
        for f in findings
    )
    audit_writes.created_in_bulk(checks)


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
    override_reason: str = "",
) -> Prescription:
    """Prescribe in an open encounter, after the safety checks (pharmacy/safety/): a block (an allergy, a
    high-severity interaction, a renal contraindication) stops the order unless `override_reason` is given;
    every finding, warnings included, is recorded with the prescription (OrderCheck) with who decided."""
    # The encounter row is locked: two orders for one patient are checked one after the other.
    encounter = lock_or_invalid(Encounter, encounter_id, field="encounter")
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
        prescribed_at=timezone.now(),
    )
    if quantity <= 0:
        raise InvalidInput("Prescribe at least one unit.", field="quantity")
    validate(prescription)
    findings = safety.for_new_order(
        patient_id=encounter.patient_id,
        drug_id=drug.pk,
        duration_days=duration_days,
        at=prescription.prescribed_at,
        using="default",
    )
    reason = _decide(findings, override_reason, doing="prescribe")
    prescription.save(using="default")
    _record_checks(
        findings, prescription=prescription, stage=OrderCheck.Stage.PRESCRIBING, reason=reason, by=prescriber
    )
    prescription.findings = findings
    return prescription


def _end(prescription: Prescription, status: str, *, by: User | None, reason: str) -> Prescription:
    prescription.status, prescription.ended_at = status, timezone.now()
    prescription.ended_by, prescription.end_reason = by, reason.strip()[:200]
    prescription.save(using="default", update_fields=["status", "ended_at", "ended_by", "end_reason"])
    return prescription


@transaction.atomic(using="default")
def prescription_cancel(*, prescription_id: int, cancelled_by: User | None = None, reason: str = "") -> Prescription:
    """Withdraw an order that must not be given (what was dispensed of it stays dispensed)."""
    prescription = get_locked(Prescription, prescription_id)
    if prescription.status not in (Prescription.Status.ACTIVE, Prescription.Status.PARTIALLY_DISPENSED):
        raise Conflict(f"Prescription {prescription.pk} is {prescription.get_status_display().lower()}.")
    return _end(prescription, Prescription.Status.CANCELLED, by=cancelled_by, reason=reason)


@transaction.atomic(using="default")
def prescription_stop(*, prescription_id: int, stopped_by: User | None = None, reason: str) -> Prescription:
    """Stop a medication the patient is on: its course ends now (it leaves current medications, and the
    checks no longer count it). Nothing more is dispensed on it."""
    prescription = get_locked(Prescription, prescription_id)
    if prescription.status in (Prescription.Status.CANCELLED, Prescription.Status.STOPPED):
        raise Conflict(f"Prescription {prescription.pk} is already {prescription.get_status_display().lower()}.")
    if not (reason or "").strip():
        raise InvalidInput("Say why the medication is stopped.", field="reason")
    course_end = Prescription.objects.with_course_end().get(pk=prescription.pk).course_end
    if course_end <= timezone.now():
        raise Conflict(f"Prescription {prescription.pk}'s course ended on {course_end:%Y-%m-%d}; nothing to stop.")
    return _end(prescription, Prescription.Status.STOPPED, by=stopped_by, reason=reason)


@transaction.atomic(using="default")
def medication_dispense(
    *,
    prescription_id: int,
    quantity: int | None = None,
    dispensed_by: User | None = None,
    override_reason: str = "",
) -> Dispense:
    """Dispense (part of) a prescription: the safety checks again (a block needs the pharmacist's override
    reason), FEFO allocation, stock ledger, charge capture (a line on the encounter's draft invoice for the encounter's
    payer: billing.encounter_draft_invoice)."""
    prescription = lock_or_invalid(Prescription, prescription_id, field="prescription")
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
    findings = safety.for_prescription(
        patient_id=encounter.patient_id, prescription_id=prescription.pk, at=timezone.now(), using="default"
    )
    override = _decide(findings, override_reason, doing="dispense")

    plan = plan_allocation(fefo_batches(drug, lock=True), quantity)
    if not plan:
        available = sum(b.quantity_on_hand for b in fefo_batches(drug, lock=False))
        raise Conflict(
            f"Insufficient stock: {quantity} {drug.unit}(s) of {drug} asked, {available} available.", field="quantity"
        )

    invoice = billing.encounter_draft_invoice(encounter_id=encounter.pk, created_by=dispensed_by)
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
        override_reason=override,
        override_by=dispensed_by if override else None,
        invoice_line=line,
    )
    _record_checks(
        findings,
        prescription=prescription,
        stage=OrderCheck.Stage.DISPENSING,
        reason=override,
        by=dispensed_by,
        dispense=dispense,
    )
    for batch, take in plan:
        DispenseAllocation.objects.create(dispense=dispense, batch=batch, quantity=take)
        _move(batch, StockMovement.Kind.DISPENSE, -take, dispense=dispense, created_by=dispensed_by)

    prescription.quantity_dispensed += quantity
    prescription.status = (
        Prescription.Status.DISPENSED if prescription.remaining == 0 else Prescription.Status.PARTIALLY_DISPENSED
    )
    prescription.save(using="default", update_fields=["quantity_dispensed", "status"])
    dispense.findings = findings
    return dispense
