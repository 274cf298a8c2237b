"""Pharmacy queries (the formulary, stock and dispensing arrive with the pharmacy issue)."""


def current_medications(*, patient_id: int) -> list[dict]:
    """What the patient is currently taking, from dispensing history. Pharmacy has no data yet: empty."""
    return []
