"""Observation: laboratory results (`lab-N`: LOINC, UCUM, reference range, interpretation) and vital signs
(`vs-N-<sign>`: one resource per measurement of a vitals row, coded as the FHIR vital-signs profile codes
them; the blood pressure is one panel with systolic and diastolic components)."""

from dataclasses import dataclass

from django.db.models import Q

from clinical import lab_tests, queries
from clinical.models import LabFlag
from fhir_api import codes, search
from fhir_api.resources.base import (
    Param,
    ResourceType,
    Source,
    compact,
    date_param,
    encounter_param,
    fixed_token,
    instant,
    patient_param,
    practitioner,
    reference,
)
from fhir_api.search import SearchError

LABORATORY, VITAL_SIGNS = "laboratory", "vital-signs"
CATEGORIES = {LABORATORY: "Laboratory", VITAL_SIGNS: "Vital Signs"}
INTERPRETATIONS = {
    LabFlag.CRITICAL_LOW: ("LL", "Critical low"),
    LabFlag.LOW: ("L", "Low"),
    LabFlag.NORMAL: ("N", "Normal"),
    LabFlag.HIGH: ("H", "High"),
    LabFlag.CRITICAL_HIGH: ("HH", "Critical high"),
}


@dataclass(frozen=True)
class Sign:
    part: str  # the id suffix
    loinc: str
    name: str
    fields: tuple[str, ...]  # the Vitals fields it reads
    unit: str  # UCUM


SIGNS = (
    Sign("hr", "8867-4", "Heart rate", ("pulse",), "/min"),
    Sign("bp", "85354-9", "Blood pressure panel with all children optional", ("systolic", "diastolic"), "mm[Hg]"),
    Sign("temp", "8310-5", "Body temperature", ("temperature",), "Cel"),
    Sign("spo2", "2708-6", "Oxygen saturation in Arterial blood", ("spo2",), "%"),
    Sign("rr", "9279-1", "Respiratory rate", ("respiratory_rate",), "/min"),
    Sign("wt", "29463-7", "Body weight", ("weight",), "kg"),
)
SIGN_BY_PART = {s.part: s for s in SIGNS}
SIGN_BY_CODE = {s.loinc: s for s in SIGNS}
BP_COMPONENTS = (("systolic", "8480-6", "Systolic blood pressure"), ("diastolic", "8462-4", "Diastolic blood pressure"))
SPO2_PULSE_OXIMETRY = ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"


def _loinc_codes(values: list[str]) -> list[str]:
    wanted = []
    for text in values:
        found = search.token(text)
        if found.system not in (None, codes.LOINC):
            continue
        if found.code is None:
            wanted.append("*")
        else:
            wanted.append(found.code)
    return wanted


def _lab_code(queryset, values, modifier, context):
    wanted = _loinc_codes(values)
    if "*" in wanted:
        return queryset
    return queryset.filter(test_code__in=wanted)


def _vital_code(queryset, values, modifier, context):
    wanted = _loinc_codes(values)
    if "*" in wanted:
        return queryset
    signs = {SIGN_BY_CODE[c] for c in wanted if c in SIGN_BY_CODE}
    if SPO2_PULSE_OXIMETRY[0] in wanted:
        signs.add(SIGN_BY_PART["spo2"])
    chosen = context.wanted.setdefault("signs", None)
    context.wanted["signs"] = signs if chosen is None else chosen & signs  # a second `code` narrows the first
    present = Q(pk__in=[])
    for sign in context.wanted["signs"]:
        for name in sign.fields:
            present |= Q(**{f"{name}__isnull": False})
    return queryset.filter(present)


def _lab_value(queryset, values, modifier, context):
    combined = Q()
    for text in values:
        prefix, number = (text[:2], text[2:]) if text[:2].isalpha() else ("eq", text)
        number = number.split("|", 1)[0]
        try:
            float(number)
        except ValueError as exc:
            raise SearchError("value-quantity", f"{text!r}: a number with an optional prefix (gt5.6).") from exc
        lookup = {"eq": "exact", "gt": "gt", "lt": "lt", "ge": "gte", "le": "lte", "sa": "gt", "eb": "lt"}.get(prefix)
        if lookup is None:
            raise SearchError("value-quantity", f"The prefix {prefix!r} is not supported here.")
        combined |= Q(**{f"value__{lookup}": number})
    return queryset.filter(combined)


class LabResults(Source):
    prefix = "lab"
    permission = "clinical.view_labresult"
    updated_field = "recorded_at"
    params = {
        "patient": patient_param("patient_id"),
        "subject": patient_param("patient_id"),
        "encounter": encounter_param("encounter_id"),
        "category": fixed_token(LABORATORY, "category", tuple(CATEGORIES)),
        "code": Param("token", _lab_code, f"LOINC: {codes.LOINC}|4548-4 or 4548-4."),
        "date": date_param("date", "resulted_at", "When the result was reported, with prefixes."),
        "status": Param("token", lambda q, values, m, c: q if "final" in values else q.none(), "final."),
        "value-quantity": Param("quantity", _lab_value, "Laboratory values, with prefixes: gt7.0."),
    }
    includes = {"patient": "Patient", "subject": "Patient", "encounter": "Encounter"}

    def queryset(self):
        return queries.lab_results().select_related("recorded_by")

    def references(self, result, parameter):
        if parameter in ("patient", "subject"):
            return [("Patient", str(result.patient_id))]
        return [("Encounter", str(result.encounter_id))] if parameter == "encounter" else []

    def resources(self, result, context):
        test = lab_tests.LAB_TESTS.get(result.test_code)
        code, display = INTERPRETATIONS[result.flag]
        reference_range = {}
        if result.reference_low is not None:
            reference_range["low"] = codes.quantity(result.reference_low, result.unit)
        if result.reference_high is not None:
            reference_range["high"] = codes.quantity(result.reference_high, result.unit)
        return [
            compact(
                {
                    "resourceType": "Observation",
                    "id": self.make_id(result.pk),
                    "status": "final",
                    "category": [codes.concept(codes.OBSERVATION_CATEGORY, LABORATORY, CATEGORIES[LABORATORY])],
                    "code": {
                        "coding": [codes.coding(codes.LOINC, result.test_code, test.loinc_name if test else "")],
                        "text": result.test_name,
                    },
                    "subject": reference("Patient", result.patient_id),
                    "encounter": reference("Encounter", result.encounter_id),
                    "effectiveDateTime": instant(result.resulted_at),
                    "issued": instant(result.recorded_at),
                    "performer": [practitioner(result.recorded_by)] if result.recorded_by else [],
                    "valueQuantity": codes.quantity(result.value, result.unit),
                    "interpretation": [codes.concept(codes.INTERPRETATION, code, display)],
                    "referenceRange": [reference_range] if reference_range else [],
                }
            )
        ]


class VitalSigns(Source):
    prefix = "vs"
    permission = "clinical.view_vitals"
    updated_field = "recorded_at"
    params = {
        "patient": patient_param("encounter__patient_id"),
        "subject": patient_param("encounter__patient_id"),
        "encounter": encounter_param("encounter_id"),
        "category": fixed_token(VITAL_SIGNS, "category", tuple(CATEGORIES)),
        "code": Param("token", _vital_code, f"LOINC: {codes.LOINC}|8867-4 (heart rate), 85354-9 (blood pressure)…"),
        "date": date_param("date", "recorded_at", "When the measurement was taken, with prefixes."),
        "status": Param("token", lambda q, values, m, c: q if "final" in values else q.none(), "final."),
    }
    includes = {"patient": "Patient", "subject": "Patient", "encounter": "Encounter"}

    def queryset(self):
        return queries.vitals().select_related("recorded_by")

    def references(self, vitals, parameter):
        if parameter in ("patient", "subject"):
            return [("Patient", str(vitals.encounter.patient_id))]
        return [("Encounter", str(vitals.encounter_id))] if parameter == "encounter" else []

    def resources(self, vitals, context):
        signs = context.wanted.get("signs")
        found = []
        for sign in SIGNS:
            if signs is not None and sign not in signs:
                continue
            values = [getattr(vitals, name) for name in sign.fields]
            if all(v is None for v in values):
                continue
            found.append(self._represent(vitals, sign, values))
        return found

    def _represent(self, vitals, sign: Sign, values) -> dict:
        coding = [codes.coding(codes.LOINC, sign.loinc, sign.name)]
        if sign.part == "spo2":
            coding.append(codes.coding(codes.LOINC, *SPO2_PULSE_OXIMETRY))
        resource = {
            "resourceType": "Observation",
            "id": self.make_id(vitals.pk, sign.part),
            "meta_profile": VITAL_SIGNS_PROFILE,
            "status": "final",
            "category": [codes.concept(codes.OBSERVATION_CATEGORY, VITAL_SIGNS, CATEGORIES[VITAL_SIGNS])],
            "code": {"coding": coding, "text": sign.name},
            "subject": reference("Patient", vitals.encounter.patient_id),
            "encounter": reference("Encounter", vitals.encounter_id),
            "effectiveDateTime": instant(vitals.recorded_at),
            "performer": [practitioner(vitals.recorded_by)] if vitals.recorded_by else [],
        }
        if sign.part == "bp":
            resource["component"] = [
                {
                    "code": codes.concept(codes.LOINC, loinc, name),
                    "valueQuantity": codes.quantity(value, sign.unit),
                }
                for (_, loinc, name), value in zip(BP_COMPONENTS, values, strict=True)
                if value is not None
            ]
        else:
            resource["valueQuantity"] = codes.quantity(values[0], sign.unit)
        return compact(resource)


class ObservationType(ResourceType):
    name = "Observation"
    sources = (LabResults(), VitalSigns())
    doc = "Laboratory results (`lab-N`) and vital signs (`vs-N-hr|bp|temp|spo2|rr|wt`)."
