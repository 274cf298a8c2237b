"""FHIR `create`: what devices, labs and other systems send, turned into the existing commands' arguments
(never around them). Each resource type that may be created declares how its elements map onto one
command, which permission it needs, and where each of the command's fields sits in the resource (a
FHIRPath), so that an error names the offending element.

Supported: Patient (patient_register), Observation (laboratory: lab_result_record; vital signs:
vitals_record, one measurement or the blood pressure panel), AllergyIntolerance (allergy_record, or an
allergy statement for the "no known (drug) allergy" codes) and Condition (condition_record: the problem
list; encounter diagnoses are made at the visit).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_date, parse_datetime

from clinical import commands as clinical
from clinical import lab_tests, queries
from clinical.models import Allergy
from fhir_api import codes
from fhir_api.resources.allergy import CATEGORIES, STATEMENT_CODES
from fhir_api.resources.observation import BP_COMPONENTS, SIGN_BY_CODE, SIGN_BY_PART, SPO2_PULSE_OXIMETRY


class Invalid(Exception):
    """A resource the server cannot take: 400 with an issue per element (FHIRPath, message)."""

    def __init__(self, *problems: tuple[str, str]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = list(problems)


@dataclass
class Created:
    resource_type: str
    ident: str


@dataclass
class Writer:
    permission: str
    paths: dict[str, str] = field(default_factory=dict)  # command field -> FHIRPath of the element


def _reference(resource: dict, element: str, resource_type: str, path: str, *, required: bool = True) -> int | None:
    found = resource.get(element)
    text = found.get("reference", "") if isinstance(found, dict) else ""
    if not text:
        if required:
            raise Invalid((path, f"{path} is required: a reference to the {resource_type}."))
        return None
    kind, _, ident = text.rstrip("/").rpartition("/")
    if kind.rsplit("/", 1)[-1] != resource_type or not ident.isdigit():
        raise Invalid((path, f"{path} must refer to a {resource_type} of this server ({resource_type}/123)."))
    return int(ident)


def _codings(concept) -> list[dict]:
    return [c for c in (concept or {}).get("coding", []) if isinstance(c, dict)] if isinstance(concept, dict) else []


def _when(text, path: str) -> dt.datetime | None:
    if text is None:
        return None
    found = parse_datetime(text) if isinstance(text, str) and "T" in text else None
    if found is None or found.tzinfo is None:
        raise Invalid((path, f"{path} must be a date and time with its offset (2026-03-04T10:00:00+01:00)."))
    return found


def _day(text, path: str) -> dt.date | None:
    if text is None:
        return None
    found = parse_date(text[:10]) if isinstance(text, str) else None
    if found is None:
        raise Invalid((path, f"{path} must be a date (YYYY-MM-DD)."))
    return found


def _decimal(value, path: str) -> Decimal:
    try:
        if isinstance(value, bool) or value is None:
            raise InvalidOperation
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise Invalid((path, f"{path} must be a number.")) from exc


# --- Patient ---------------------------------------------------------------------------------------------

PATIENT = Writer(
    "clinical.add_patient",
    {
        "given_name": "Patient.name[0].given[0]",
        "family_name": "Patient.name[0].family",
        "date_of_birth": "Patient.birthDate",
        "sex": "Patient.gender",
        "phone": "Patient.telecom[0].value",
        "address_line1": "Patient.address[0].line[0]",
        "address_line2": "Patient.address[0].line[1]",
        "city": "Patient.address[0].city",
        "postal_code": "Patient.address[0].postalCode",
        "country": "Patient.address[0].country",
        "preferred_language": "Patient.communication[0].language",
        "mrn": "Patient.identifier[0].value",
    },
)


def patient_arguments(resource: dict) -> dict:
    names = [n for n in resource.get("name", []) if isinstance(n, dict)]
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = official.get("given") or []
    arguments = {
        "given_name": " ".join(g for g in given if isinstance(g, str)),
        "family_name": official.get("family") or "",
        "date_of_birth": _day(resource.get("birthDate"), "Patient.birthDate"),
        "sex": resource.get("gender") or "unknown",
    }
    problems = [
        (PATIENT.paths[k], f"{PATIENT.paths[k]} is required.")
        for k in ("given_name", "family_name")
        if not arguments[k]
    ]
    if arguments["date_of_birth"] is None:
        problems.append(("Patient.birthDate", "Patient.birthDate is required."))
    if problems:
        raise Invalid(*problems)
    phones = [t for t in resource.get("telecom", []) if isinstance(t, dict) and t.get("system") == "phone"]
    if phones:
        arguments["phone"] = phones[0].get("value", "")
    addresses = [a for a in resource.get("address", []) if isinstance(a, dict)]
    if addresses:
        address = next((a for a in addresses if a.get("use") == "home"), addresses[0])
        lines = [line for line in address.get("line", []) if isinstance(line, str) and line.strip()]
        if not lines and isinstance(address.get("text"), str):
            lines = [address["text"].replace("\n", ", ")]
        arguments["address_line1"] = lines[0] if lines else ""
        arguments["address_line2"] = ", ".join(lines[1:])
        for name, element in (("city", "city"), ("postal_code", "postalCode"), ("country", "country")):
            if isinstance(address.get(element), str):
                arguments[name] = address[element]
    spoken = [c for c in resource.get("communication", []) if isinstance(c, dict)]
    preferred = next((c for c in spoken if c.get("preferred")), spoken[0] if spoken else None)
    if preferred:
        codings = (preferred.get("language") or {}).get("coding") or [{}]
        arguments["preferred_language"] = str(codings[0].get("code") or "")
    mrns = [i for i in resource.get("identifier", []) if isinstance(i, dict) and i.get("system") == codes.MRN]
    if mrns:
        arguments["mrn"] = mrns[0].get("value", "")
    return arguments


def create_patient(resource: dict, user) -> Created:
    patient = clinical.patient_register(**patient_arguments(resource))
    return Created("Patient", str(patient.pk))


# --- Observation -----------------------------------------------------------------------------------------

LAB = Writer(
    "clinical.add_labresult",
    {
        "test": "Observation.code",
        "value": "Observation.valueQuantity.value",
        "unit": "Observation.valueQuantity.unit",
        "resulted_at": "Observation.effectiveDateTime",
        "reference_low": "Observation.referenceRange[0].low.value",
        "reference_high": "Observation.referenceRange[0].high.value",
        "encounter": "Observation.encounter",
    },
)
VITALS = Writer(
    "clinical.add_vitals",
    {"encounter": "Observation.encounter", "recorded_at": "Observation.effectiveDateTime"}
    | {name: "Observation.valueQuantity.value" for sign in SIGN_BY_PART.values() for name in sign.fields}
    | {"systolic": "Observation.component[0].valueQuantity.value"}
    | {"diastolic": "Observation.component[1].valueQuantity.value"},
)


def observation_kind(resource: dict) -> tuple[str, str]:
    """("lab", LOINC) or ("vitals", LOINC): what the Observation's LOINC code is, on our lists."""
    loinc = [c.get("code") for c in _codings(resource.get("code")) if c.get("system") == codes.LOINC]
    for code in loinc:
        if code in lab_tests.LAB_TESTS:
            return "lab", code
        if code in SIGN_BY_CODE or code == SPO2_PULSE_OXIMETRY[0]:
            return "vitals", code
    raise Invalid(
        (
            "Observation.code",
            "Observation.code must carry a LOINC code (system http://loinc.org) of a test on the lab list or a "
            "vital sign: " + ", ".join(sorted(lab_tests.LAB_TESTS)) + ", " + ", ".join(sorted(SIGN_BY_CODE)) + ".",
        )
    )


def _encounter_of(resource: dict) -> int:
    patient_id = _reference(resource, "subject", "Patient", "Observation.subject")
    encounter_id = _reference(resource, "encounter", "Encounter", "Observation.encounter")
    encounter = queries.encounters().filter(pk=encounter_id).first()
    if encounter is None:
        raise Invalid(("Observation.encounter", f"There is no Encounter/{encounter_id}."))
    if encounter.patient_id != patient_id:
        raise Invalid(("Observation.subject", f"Encounter/{encounter_id} is not Patient/{patient_id}'s."))
    return encounter_id


def create_observation(resource: dict, user) -> Created:
    kind, code = observation_kind(resource)
    if resource.get("status") not in ("final", "amended", "corrected"):
        raise Invalid(("Observation.status", "Observation.status must be final (or amended, corrected)."))
    encounter_id = _encounter_of(resource)
    if kind == "lab":
        quantity = resource.get("valueQuantity")
        if not isinstance(quantity, dict):
            raise Invalid(("Observation.valueQuantity", "A laboratory Observation needs a valueQuantity."))
        ranges = [r for r in resource.get("referenceRange", []) if isinstance(r, dict)]
        low = (ranges[0].get("low") or {}).get("value") if ranges else None
        high = (ranges[0].get("high") or {}).get("value") if ranges else None
        result = clinical.lab_result_record(
            encounter_id=encounter_id,
            test=code,
            value=_decimal(quantity.get("value"), LAB.paths["value"]),
            unit=_lab_unit(quantity, code),
            resulted_at=_when(resource.get("effectiveDateTime"), LAB.paths["resulted_at"]),
            reference_low=_decimal(low, LAB.paths["reference_low"]) if low is not None else None,
            reference_high=_decimal(high, LAB.paths["reference_high"]) if high is not None else None,
            recorded_by=user,
        )
        return Created("Observation", f"lab-{result.pk}")
    sign = SIGN_BY_CODE.get(code) or SIGN_BY_PART["spo2"]
    measurements = {}
    if sign.part == "bp":
        for (name, loinc, _), index in zip(BP_COMPONENTS, (0, 1), strict=True):
            for component in resource.get("component", []):
                if any(c.get("code") == loinc for c in _codings(component.get("code"))):
                    value = (component.get("valueQuantity") or {}).get("value")
                    measurements[name] = _number(value, f"Observation.component[{index}].valueQuantity.value")
        if not measurements:
            raise Invalid(
                ("Observation.component", "A blood pressure panel needs systolic (8480-6) or diastolic (8462-4).")
            )
    else:
        value = (resource.get("valueQuantity") or {}).get("value")
        measurements[sign.fields[0]] = _number(value, "Observation.valueQuantity.value")
    recorded_at = _when(resource.get("effectiveDateTime"), "Observation.effectiveDateTime")
    vitals = clinical.vitals_record(
        encounter_id=encounter_id,
        recorded_by=user,
        **measurements,
        **({"recorded_at": recorded_at} if recorded_at else {}),
    )
    return Created("Observation", f"vs-{vitals.pk}-{sign.part}")


def _lab_unit(quantity: dict, code: str) -> str:
    unit = quantity.get("unit") or ""
    expected = lab_tests.LAB_TESTS[code].unit
    if not unit and quantity.get("code") == codes.UCUM_CODES.get(expected, expected):
        return expected
    return unit


def _number(value, path: str):
    found = _decimal(value, path)
    return int(found) if found == found.to_integral_value() else found


# --- AllergyIntolerance ----------------------------------------------------------------------------------

ALLERGY = Writer(
    "clinical.add_allergy",
    {
        "allergen": "AllergyIntolerance.code",
        "substance": "AllergyIntolerance.code.text",
        "category": "AllergyIntolerance.category[0]",
        "severity": "AllergyIntolerance.reaction[0].severity",
        "reaction": "AllergyIntolerance.reaction[0].manifestation[0].text",
        "verification": "AllergyIntolerance.verificationStatus",
        "onset": "AllergyIntolerance.onsetDateTime",
        "patient": "AllergyIntolerance.patient",
        "kind": "AllergyIntolerance.code",
    },
)


def create_allergy(resource: dict, user) -> Created:
    patient_id = _reference(resource, "patient", "Patient", "AllergyIntolerance.patient")
    codings = _codings(resource.get("code"))
    for kind, (snomed, _) in STATEMENT_CODES.items():
        if any(c.get("system") == codes.SNOMED and c.get("code") == snomed for c in codings):
            statement = clinical.allergy_statement_record(patient_id=patient_id, kind=kind, stated_by=user)
            return Created("AllergyIntolerance", f"st-{statement.pk}")
    coded = next((c.get("code") for c in codings if c.get("system") == codes.ALLERGEN), "")
    text = (resource.get("code") or {}).get("text", "") if isinstance(resource.get("code"), dict) else ""
    if not coded and not text:
        raise Invalid(("AllergyIntolerance.code", "Give a code of urn:hmis:allergen or the substance as code.text."))
    reactions = [r for r in resource.get("reaction", []) if isinstance(r, dict)]
    severity = reactions[0].get("severity") if reactions else None
    if severity is None:
        severity = "severe" if resource.get("criticality") == "high" else "mild"
    manifestation = " ".join(
        m.get("text", "") or next((c.get("display", "") for c in _codings(m)), "")
        for m in (reactions[0].get("manifestation", []) if reactions else [])
    ).strip()
    verification = next(
        (
            c.get("code")
            for c in _codings(resource.get("verificationStatus"))
            if c.get("system") == codes.ALLERGY_VERIFICATION
        ),
        Allergy.Verification.UNCONFIRMED,
    )
    categories = resource.get("category") or []
    category = CATEGORIES.get(categories[0], "") if categories else ""
    if categories and not category:
        raise Invalid(("AllergyIntolerance.category[0]", "medication, food or environment."))
    allergy = clinical.allergy_record(
        patient_id=patient_id,
        allergen=coded,
        substance=text,
        category=category,
        severity=severity,
        reaction=manifestation,
        verification=verification,
        onset=_day(resource.get("onsetDateTime"), "AllergyIntolerance.onsetDateTime"),
        recorded_by=user,
    )
    return Created("AllergyIntolerance", str(allergy.pk))


# --- Condition -------------------------------------------------------------------------------------------

CONDITION = Writer(
    "clinical.add_condition",
    {"code": "Condition.code", "onset": "Condition.onsetDateTime", "patient": "Condition.subject"},
)


def create_condition(resource: dict, user) -> Created:
    categories = [c.get("code") for concept in resource.get("category", []) for c in _codings(concept)]
    if categories and "problem-list-item" not in categories:
        raise Invalid(
            (
                "Condition.category",
                "Only problem-list-item Conditions are created here; encounter diagnoses are made at the visit.",
            )
        )
    patient_id = _reference(resource, "subject", "Patient", "Condition.subject")
    icd = next((c.get("code") for c in _codings(resource.get("code")) if c.get("system") == codes.ICD10CM), "")
    if not icd:
        raise Invalid(("Condition.code", f"Condition.code needs an ICD-10-CM coding ({codes.ICD10CM})."))
    onset = resource.get("onsetDateTime")
    problem = clinical.condition_record(
        patient_id=patient_id, code=icd, onset=_day(onset, "Condition.onsetDateTime"), recorded_by=user
    )
    return Created("Condition", f"pl-{problem.pk}")


CREATE = {
    "Patient": (create_patient, lambda resource: PATIENT),
    "Observation": (create_observation, lambda resource: LAB if observation_kind(resource)[0] == "lab" else VITALS),
    "AllergyIntolerance": (create_allergy, lambda resource: ALLERGY),
    "Condition": (create_condition, lambda resource: CONDITION),
}


def may_create(resource_type: str, user) -> bool:
    """Whether the user may create any resource of this type (before its body says which kind)."""
    writers = {"Observation": (LAB, VITALS), "Patient": (PATIENT,), "AllergyIntolerance": (ALLERGY,)}
    writers["Condition"] = (CONDITION,)
    return any(user.has_perm(w.permission) for w in writers[resource_type])


def permission_for(resource_type: str, resource: dict) -> str:
    return CREATE[resource_type][1](resource).permission


def path_of(resource_type: str, resource: dict, command_field: str) -> str:
    """Where a command's field sits in the resource, for an error's `expression`."""
    try:
        writer = CREATE[resource_type][1](resource)
    except Invalid:
        return resource_type
    return writer.paths.get(command_field, resource_type)
