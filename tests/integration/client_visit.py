"""A visit driven through the typed client generated from /api/schema/ (test_generated_client.py runs it).

Run by the client generator's interpreter (.stack/tools/openapi-client: openapi-python-client, httpx,
attrs), not the project's: `python client_visit.py CLIENT_DIR` with the set-up as JSON on stdin; prints
what it saw as JSON. It uses only the generated package: typed models in, typed models (or Error) out.
"""

import datetime
import json
import sys


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    setup = json.load(sys.stdin)

    from hmis_client import AuthenticatedClient
    from hmis_client.api.v1 import (
        v1_diagnoses_create,
        v1_dispenses_create,
        v1_encounters_create,
        v1_invoices_create,
        v1_invoices_issue_create,
        v1_invoices_list,
        v1_invoices_retrieve,
        v1_patients_create,
        v1_payments_create,
        v1_prescriptions_create,
        v1_reports_ar_aging_retrieve,
        v1_vitals_create,
    )
    from hmis_client.models import (
        DiagnosisInput,
        DispenseInput,
        EncounterInput,
        Error,
        InvoiceInput,
        LineInput,
        MethodEnum,
        PatientInput,
        PaymentInput,
        PrescriptionInput,
        TypeEnum,
        VitalsInput,
    )
    from hmis_client.models.v1_reports_ar_aging_retrieve_group_by import V1ReportsArAgingRetrieveGroupBy

    def client(key: str) -> AuthenticatedClient:
        return AuthenticatedClient(
            base_url=setup["base_url"], token=key, prefix="Api-Key", raise_on_unexpected_status=True
        )

    desk, pharmacy = client(setup["desk_key"]), client(setup["pharmacist_key"])
    seen: dict = {}

    patient = v1_patients_create.sync(
        client=desk,
        body=PatientInput(given_name="Ama", family_name="Owusu", date_of_birth=datetime.date(1980, 5, 17)),
    )
    encounter = v1_encounters_create.sync(
        client=desk,
        body=EncounterInput(
            patient=patient.id, type_=TypeEnum.OUTPATIENT, department=setup["department"], attending=setup["doctor"]
        ),
    )
    vitals = v1_vitals_create.sync(
        client=desk, body=VitalsInput(encounter=encounter.id, pulse=72, systolic=118, diastolic=76)
    )
    diagnosis = v1_diagnoses_create.sync(
        client=desk, body=DiagnosisInput(encounter=encounter.id, code="I10", is_primary=True)
    )
    prescription = v1_prescriptions_create.sync(
        client=desk,
        body=PrescriptionInput(
            encounter=encounter.id,
            drug=setup["drug"],
            dose="500 mg",
            frequency="three times a day",
            duration_days=5,
            quantity=15,
        ),
    )
    draft = v1_invoices_create.sync(
        client=desk,
        body=InvoiceInput(
            patient=patient.id,
            payer=setup["payer"],
            encounter=encounter.id,
            lines=[LineInput(service=setup["service"], quantity="1")],
        ),
    )
    issued = v1_invoices_issue_create.sync(client=desk, id=draft.id)
    dispense = v1_dispenses_create.sync(client=pharmacy, body=DispenseInput(prescription=prescription.id))
    payment = v1_payments_create.sync(
        client=desk, body=PaymentInput(invoice=issued.id, amount=issued.outstanding, method=MethodEnum.CASH)
    )
    paid = v1_invoices_retrieve.sync(client=desk, id=issued.id)
    missing = v1_vitals_create.sync(client=desk, body=VitalsInput(encounter=999_999_999, pulse=60))
    page = v1_invoices_list.sync(client=desk, patient=patient.id, page_size=1)
    aging = v1_reports_ar_aging_retrieve.sync(
        client=desk, group_by=V1ReportsArAgingRetrieveGroupBy.PAYER, ranges="30,60"
    )

    seen.update(
        patient=patient.id,
        mrn=patient.mrn,
        encounter=encounter.id,
        vitals=vitals.id,
        diagnosis=diagnosis.code,
        prescription=prescription.id,
        draft_outstanding=draft.outstanding,
        draft_status=str(draft.status),
        invoice=issued.id,
        issued_number=issued.number,
        issued_outstanding=issued.outstanding,
        dispense=dispense.id,
        payment=payment.id,
        paid_status=str(paid.status),
        paid_outstanding=paid.outstanding,
        missing_is_error=isinstance(missing, Error),
        missing_errors=missing.errors.to_dict() if isinstance(missing, Error) else None,
        page_count=page.count,
        page_results=len(page.results),
        page_next=page.next_,
        aging_bucket_labels=[b.label for b in aging.buckets],
        aging_bucket_bounds=[[b.from_days, b.to_days] for b in aging.buckets],
        aging_rows=[
            {"payer_id": row.payer_id, "outstanding": row.outstanding, "amounts": [b.amount for b in row.buckets]}
            for row in aging.rows
        ],
    )
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
