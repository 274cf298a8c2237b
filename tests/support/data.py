"""One row of every kind, made through the commands (for admin, access and audit tests)."""

import datetime
from decimal import Decimal

from billing import commands as billing
from clinical import commands as clinical
from core.api.commands import api_client_create
from pharmacy import commands as pharmacy
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory


def one_of_each(**patient_fields) -> dict:
    encounter = EncounterFactory(patient=PatientFactory(**patient_fields))
    made = {"patient": encounter.patient, "encounter": encounter, "department": encounter.department}
    made["diagnosis"] = clinical.diagnosis_record(encounter_id=encounter.pk, code="I10", is_primary=True)
    made["allergy"] = clinical.allergy_record(patient_id=encounter.patient_id, substance="Latex", severity="mild")
    made["vitals"] = clinical.vitals_record(encounter_id=encounter.pk, pulse=80)
    made["lab_result"] = clinical.lab_result_record(encounter_id=encounter.pk, test="2823-3", value=Decimal("4.2"))
    made["payer"], made["service"] = PayerFactory(), ServiceFactory()
    invoice = billing.invoice_create(
        patient_id=encounter.patient_id, payer_id=made["payer"].pk, lines=[{"service": made["service"].pk}]
    )
    made["invoice"] = billing.invoice_issue(invoice_id=invoice.pk)
    made["payment"] = billing.payment_record(invoice_id=invoice.pk, amount=Decimal("10"), method="cash")
    made["credit_note"] = billing.credit_note_create(invoice_id=invoice.pk, amount=Decimal("5"), reason="x")
    made["api_client"], _ = api_client_create(name="lab", roles=["clinician"])
    made["drug"] = drug = pharmacy.drug_create(
        code="PARA",
        generic_name="Paracetamol",
        form="tablet",
        strength="500 mg",
        unit="tablet",
        unit_price=Decimal("0.10"),
        ingredients=["paracetamol"],
    )
    made["batch"] = pharmacy.stock_receive(
        drug_id=drug.pk,
        lot_number="L1",
        expiry_date=datetime.date.today() + datetime.timedelta(days=90),
        quantity=50,
        unit_cost=Decimal("0.02"),
    )
    made["prescription"] = prescription = pharmacy.prescription_create(
        encounter_id=encounter.pk,
        drug_id=drug.pk,
        dose="1 g",
        frequency="qid",
        duration_days=3,
        quantity=12,
        prescriber=UserFactory(),
    )
    made["dispense"] = pharmacy.medication_dispense(prescription_id=prescription.pk, quantity=4)
    made["icd10"] = made["diagnosis"].code
    return made
