"""The code systems and identifier systems the FHIR facade writes, in one place.

Our own systems are URNs under `urn:hmis:` (the allergen list already uses `urn:hmis:allergen`): stable,
never reused, and not pretending to be a registered URL. Public systems are the canonical URIs of FHIR R4's
terminology pages (terminology.hl7.org code systems, LOINC, UCUM, ICD-10-CM, WHO ATC).
"""

from clinical import allergens

MRN = "urn:hmis:mrn"
STAFF = "urn:hmis:staff"
DRUG = "urn:hmis:drug"
ALLERGEN = allergens.CODE_SYSTEM
DEPARTMENT = "urn:hmis:department"
WARD = "urn:hmis:ward"
PAYER = "urn:hmis:payer"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LANGUAGE = "urn:ietf:bcp:47"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"

IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
LOCATION_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
BED_STATUS = "http://terminology.hl7.org/CodeSystem/v2-0116"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"

# The "no known allergy" situations, as the International Patient Summary records them.
NO_KNOWN_DRUG_ALLERGY = ("409137002", "No known drug allergy")
NO_KNOWN_ALLERGY = ("716186003", "No known allergy")

# Our lab units -> UCUM codes (the unit text is kept as shown to staff).
UCUM_CODES = {"mL/min/1.73m2": "mL/min/{1.73_m2}", "INR": "{INR}"}


def coding(system: str, code: str, display: str = "") -> dict:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str = "", text: str = "") -> dict:
    found = {"coding": [coding(system, code, display)]}
    if text:
        found["text"] = text
    return found


def quantity(value, unit: str) -> dict:
    """A UCUM quantity: the value as a JSON number (Decimal kept exact through its text)."""
    return {"value": number(value), "unit": unit, "system": UCUM, "code": UCUM_CODES.get(unit, unit)}


def number(value):
    """Decimal -> int when whole, else float of its plain text (6.800 -> 6.8): what JSON can carry."""
    if value is None:
        return None
    text = f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)
    return int(text) if "." not in text else float(text)
