"""Clinical commands: one function per business action, one transaction on the primary."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction

from clinical.models import Patient
from hmis.errors import InvalidInput

MRN_SEQUENCE = "clinical_patient_mrn_seq"


def _next_mrn() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [MRN_SEQUENCE])
        return f"MRN{cursor.fetchone()[0]:08d}"


@transaction.atomic(using="default")
def patient_register(
    *,
    given_name: str,
    family_name: str,
    date_of_birth: datetime.date,
    sex: str = Patient.Sex.UNKNOWN,
    phone: str = "",
    address: str = "",
    mrn: str | None = None,
) -> Patient:
    patient = Patient(
        mrn=mrn or _next_mrn(),
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        sex=sex,
        phone=phone,
        address=address,
    )
    try:
        patient.full_clean()
    except ValidationError as exc:
        raise InvalidInput.from_django(exc) from exc
    try:
        with transaction.atomic(using="default"):
            patient.save(using="default")
    except IntegrityError as exc:  # a concurrent registration took the MRN after full_clean checked it
        raise InvalidInput("A patient with this MRN already exists.", field="mrn") from exc
    return patient
