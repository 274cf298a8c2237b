"""Patient: demographics, with the MRN as an identifier."""

from django.db.models import Q

from clinical import queries
from fhir_api import codes, search
from fhir_api.resources.base import Param, ResourceType, Source, compact, date_param
from fhir_api.search import SearchError

GENDERS = ("female", "male", "other", "unknown")  # FHIR's administrative genders are our codes


def _identifier(queryset, values, modifier, context):
    combined = Q()
    for text in values:
        found = search.token(text)
        if found.system not in (None, codes.MRN):
            continue  # an identifier system we do not issue matches nobody
        if found.code is None:
            combined |= Q(pk__isnull=False)
        else:
            combined |= Q(mrn=found.code.upper())
    return queryset.filter(combined) if combined else queryset.none()


def _name(fields):
    def apply(queryset, values, modifier, context):
        return queryset.filter(search.string_q(fields, values, modifier, "name"))

    return apply


def _gender(queryset, values, modifier, context):
    wanted = [search.token(v).code for v in values]
    unknown = [w for w in wanted if w not in GENDERS]
    if unknown:
        raise SearchError("gender", f"Unknown gender {unknown[0]!r}: use one of {', '.join(GENDERS)}.")
    return queryset.exclude(sex__in=wanted) if modifier == "not" else queryset.filter(sex__in=wanted)


def _phone(queryset, values, modifier, context):
    return queryset.filter(search.string_q(("phone",), values, "contains", "phone"))


class PatientRows(Source):
    permission = "clinical.view_patient"
    updated_field = "updated_at"
    params = {
        "identifier": Param("token", _identifier, f"The MRN: {codes.MRN}|MRN0001 or MRN0001."),
        "name": Param("string", _name(("given_name", "family_name")), "Given or family name (starts with)."),
        "family": Param("string", _name(("family_name",)), "Family name (starts with)."),
        "given": Param("string", _name(("given_name",)), "Given name (starts with)."),
        "birthdate": date_param("birthdate", "date_of_birth", "Date of birth, with prefixes.", date_only=True),
        "gender": Param("token", _gender, "female | male | other | unknown."),
        "phone": Param("token", _phone, "A phone number (digits as given, anywhere in the number)."),
    }

    def queryset(self):
        return queries.patients()

    def resources(self, patient, context):
        return [represent(patient)]


def address(patient) -> dict:
    return compact(
        {
            "use": "home",
            "text": patient.address.replace("\n", ", "),
            "line": [line for line in (patient.address_line1, patient.address_line2) if line],
            "city": patient.city,
            "postalCode": patient.postal_code,
            "country": patient.country,
        }
    )


def represent(patient) -> dict:
    return compact(
        {
            "resourceType": "Patient",
            "id": str(patient.pk),
            "identifier": [
                {
                    "use": "usual",
                    "type": codes.concept(codes.IDENTIFIER_TYPE, "MR", "Medical record number"),
                    "system": codes.MRN,
                    "value": patient.mrn,
                }
            ],
            "active": True,
            "name": [
                {
                    "use": "official",
                    "text": f"{patient.given_name} {patient.family_name}",
                    "family": patient.family_name,
                    "given": [patient.given_name],
                }
            ],
            "telecom": [{"system": "phone", "value": patient.phone, "use": "home"}] if patient.phone else [],
            "gender": patient.sex,
            "birthDate": patient.date_of_birth.isoformat(),
            "address": [address(patient)] if patient.address else [],
            "communication": [
                {
                    "language": {"coding": [{"system": codes.LANGUAGE, "code": patient.preferred_language}]},
                    "preferred": True,
                }
            ]
            if patient.preferred_language
            else [],
        }
    )


class PatientType(ResourceType):
    name = "Patient"
    sources = (PatientRows(),)
    doc = "Patients, with their MRN."
