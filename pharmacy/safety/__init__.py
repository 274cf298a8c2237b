"""Medication safety: the rule engine (engine.py, one SQL definition of every rule), the curated tables it
is built from (classes.py, renal.py, ../interactions.py, clinical/allergens.py), and how commands, pages
and the admin ask it about one order. The patient-alerts projection builds its view from the same SQL."""

import datetime
from dataclasses import dataclass

from django.db import connections

from pharmacy.safety import engine
from pharmacy.safety.engine import BLOCK, WARN

__all__ = ["BLOCK", "WARN", "Finding", "blocking", "fingerprint", "for_new_order", "for_prescription", "refusal"]

OVERRIDE_FIELD = "override_reason"


@dataclass(frozen=True)
class Finding:
    rule: str
    action: str  # BLOCK or WARN
    subject: str
    message: str
    detail: str  # with rule: what makes it one finding (the allergy, the other course, the class)

    @property
    def title(self) -> str:
        return engine.TITLES[self.rule]

    @property
    def blocks(self) -> bool:
        return self.action == BLOCK

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.detail}"

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "title": self.title,
            "action": self.action,
            "subject": self.subject,
            "message": self.message,
            **({"override_field": OVERRIDE_FIELD} if self.blocks else {}),
        }


def _run(sql: str, params: dict, using: str) -> list[Finding]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        found = [
            Finding(rule=rule, action=action, subject=subject, message=message, detail=detail)
            for _key, _patient, _rx, rule, action, subject, detail, message, _from, _until in cursor.fetchall()
        ]
    # Blocks first, then by rule in the engine's order.
    order = list(engine.TITLES)
    return sorted(found, key=lambda f: (f.action != BLOCK, order.index(f.rule), f.subject, f.detail))


def for_new_order(
    *, patient_id: int, drug_id: int, duration_days: int, at: datetime.datetime, using: str
) -> list[Finding]:
    """What the rules say about prescribing `drug_id` to the patient now, for `duration_days`."""
    params = {"patient": patient_id, "drug": drug_id, "days": duration_days, "valid_from": at}
    return _run(engine.NEW_ORDER_SQL, params, using)


def for_prescription(*, patient_id: int, prescription_id: int, at: datetime.datetime, using: str) -> list[Finding]:
    """What the rules say about dispensing a prescription on record at `at` (taken from then for its
    duration, against the rest of the record as it is)."""
    params = {"patient": patient_id, "prescription": prescription_id, "valid_from": at}
    return _run(engine.PRESCRIBED_SQL, params, using)


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocks]


def fingerprint(findings: list[Finding]) -> str:
    """What a reviewer saw: the findings' keys (a page confirms only the findings it showed)."""
    return "|".join(sorted(f.key for f in findings))


def refusal(findings: list[Finding], *, doing: str) -> dict:
    """The errors of a command a block stopped: each block's message on the override field."""
    return {OVERRIDE_FIELD: [f"{f.title}: {f.message}. Give an override reason to {doing} anyway." for f in findings]}
