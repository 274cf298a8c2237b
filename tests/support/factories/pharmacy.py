"""Pharmacy test data made through the pharmacy commands: a drug, stock received, a prescription."""

import datetime
from decimal import Decimal

from django.utils import timezone

from pharmacy import commands
from tests.support.factories.clinical import EncounterFactory, UserFactory

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def amoxicillin(**kwargs):
    defaults = {
        "code": "AMOX500",
        "generic_name": "Amoxicillin",
        "form": "capsule",
        "strength": "500 mg",
        "unit": "capsule",
        "unit_price": Decimal("0.80"),
        "reorder_level": 20,
        "ingredients": ["Amoxicillin"],
    }
    return commands.drug_create(**{**defaults, **kwargs})


def prescribe(drug, quantity=10, encounter=None):
    encounter = encounter or EncounterFactory()
    return commands.prescription_create(
        encounter_id=encounter.pk,
        drug_id=drug.pk,
        dose="500 mg",
        frequency="three times a day",
        duration_days=5,
        quantity=quantity,
        prescriber=UserFactory(),
    )


def receive(drug, lot, expires_in, quantity, cost="0.30"):
    return commands.stock_receive(
        drug_id=drug.pk, lot_number=lot, expiry_date=days(expires_in), quantity=quantity, unit_cost=Decimal(cost)
    )
