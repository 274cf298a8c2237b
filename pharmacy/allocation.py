"""First expiry, first out: which batches a dispense takes from. One definition, used by the dispense
command (locking the batches) and by the previews pharmacists see before dispensing (not locking)."""

from django.utils import timezone

from pharmacy.models import Drug, StockBatch


def fefo_batches(drug: Drug, *, lock: bool) -> list[StockBatch]:
    """Usable batches of a drug, first expiry first: never an expired one, never an empty one."""
    batches = StockBatch.objects.filter(
        drug=drug, quantity_on_hand__gt=0, expiry_date__gte=timezone.localdate()
    ).order_by("expiry_date", "received_at", "id")
    return list(batches.select_for_update() if lock else batches)


def plan_allocation(batches: list[StockBatch], quantity: int) -> list[tuple[StockBatch, int]]:
    """(batch, units) taking `quantity` from the batches in their order; [] when they hold too few."""
    plan, needed = [], quantity
    for batch in batches:
        if needed == 0:
            break
        take = min(batch.quantity_on_hand, needed)
        plan.append((batch, take))
        needed -= take
    return plan if needed == 0 else []
