from decimal import Decimal

import pytest

from billing import commands as billing
from chart.queries import patient_summary
from clinical import commands
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_patient_summary_gathers_the_chart():
    patient = PatientFactory()
    encounters = [EncounterFactory(patient=patient) for _ in range(12)]
    commands.diagnosis_record(encounter_id=encounters[0].pk, code="I10", is_primary=True)
    resolved = commands.diagnosis_record(encounter_id=encounters[1].pk, code="J45.909")
    commands.diagnosis_resolve(diagnosis_id=resolved.pk)
    commands.allergy_record(patient_id=patient.pk, substance="Latex", severity="moderate")
    invoice = billing.invoice_create(
        patient_id=patient.pk,
        payer_id=PayerFactory().pk,
        lines=[{"service": ServiceFactory(price=Decimal("80.00")).pk, "quantity": 2}],
    )
    billing.invoice_issue(invoice_id=invoice.pk)
    billing.payment_record(invoice_id=invoice.pk, amount=Decimal("30.00"), method="cash")

    summary = patient_summary(patient_id=patient.pk)

    assert summary["patient"] == patient
    assert [p.code_id for p in summary["problems"]] == ["I10"]  # J45.909's only diagnosis was resolved
    assert [a.substance for a in summary["allergies"]] == ["Latex (natural rubber)"]
    assert summary["allergy_status"]["state"] == "recorded"
    assert summary["current_medications"] == []
    assert len(summary["recent_encounters"]) == 10
    assert summary["open_balance"] == Decimal("130.00")
    assert patient_summary(patient_id=999999) is None
