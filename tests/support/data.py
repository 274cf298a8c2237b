"""One row of every kind, made through the commands (for admin, access and audit tests)."""

import datetime
from decimal import Decimal

from billing import commands as billing
from clinical import commands as clinical
from core.api.commands import api_client_create
from inpatient import commands as inpatient
from pharmacy import commands as pharmacy
from scheduling import commands as scheduling
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory
from tests.support.factories.inpatient import inpatient_encounter


def one_of_each(**patient_fields) -> dict:
    encounter = EncounterFactory(patient=PatientFactory(**patient_fields))
    made = {"patient": encounter.patient, "encounter": encounter, "department": encounter.department}
    made["diagnosis"] = clinical.diagnosis_record(encounter_id=encounter.pk, code="I10", is_primary=True)
    made["condition"] = made["diagnosis"].encounter.patient.conditions.get(code="I10")  # the problem list's row
    made["allergy"] = clinical.allergy_record(patient_id=encounter.patient_id, substance="Latex", severity="mild")
    made["vitals"] = clinical.vitals_record(encounter_id=encounter.pk, pulse=80)
    made["lab_result"] = clinical.lab_result_record(encounter_id=encounter.pk, test="2823-3", value=Decimal("4.2"))
    made["note"] = clinical.note_write(encounter_id=encounter.pk, author=UserFactory(), text="Seen; well.", sign=True)
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
    made["ward"] = ward = inpatient.ward_create(
        code="MED1", name="Medical ward 1", department_id=encounter.department_id, bed_day_price=Decimal("300")
    )
    made["bed"] = inpatient.bed_create(ward_id=ward.pk, label="1")
    inpatient.bed_create(ward_id=ward.pk, label="2")
    stay = inpatient_encounter(patient=encounter.patient, department=encounter.department)
    made["admission"] = inpatient.admission_admit(encounter_id=stay.pk, bed_id=made["bed"].pk)
    made["admission_request"] = inpatient.admission_request_create(encounter_id=inpatient_encounter().pk)
    made.update(_scheduling(encounter))
    return made


def _scheduling(encounter) -> dict:
    """A clinic every day, a booking for the encounter's patient, the patient waiting as a walk-in, a leave."""
    doctor = UserFactory(roles=["clinician"])
    every_day = [{"weekday": d, "start_time": datetime.time(8), "end_time": datetime.time(18)} for d in range(7)]
    schedule = scheduling.schedule_create(
        department_id=encounter.department_id, provider_id=doctor.pk, rules=every_day, name="General clinic"
    )
    tomorrow = schedule.slots.filter(day__gt=datetime.date.today()).order_by("starts_at").first()
    return {
        "schedule": schedule,
        "slot": tomorrow,
        "appointment": scheduling.appointment_book(patient_id=encounter.patient_id, slot_id=tomorrow.pk),
        "queue_entry": scheduling.walk_in_check_in(
            patient_id=encounter.patient_id, department_id=encounter.department_id, provider_id=doctor.pk
        ),
        "schedule_exception": scheduling.exception_add(
            kind="leave",
            reason="Course",
            provider_id=doctor.pk,
            start_date=datetime.date.today() + datetime.timedelta(days=90),
        ),
    }
