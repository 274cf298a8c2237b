"""AllergyIntolerance: coded allergies (against the allergen list, with ATC where it has one), uncoded ones
(free text, marked as such), and the "no known (drug) allergies" statements (`st-N`), coded as the
International Patient Summary codes them. A withdrawn statement is `inactive`."""

from django.db.models import Q
from django.db.models.functions import Coalesce

from clinical import allergens, queries
from clinical.models import Allergy, AllergyStatement
from fhir_api import codes, search
from fhir_api.resources.base import (
    Param,
    ResourceType,
    Source,
    choice_param,
    compact,
    date_param,
    day,
    fixed_token,
    instant,
    patient_param,
    practitioner,
    reference,
)

CATEGORIES = {"medication": Allergy.Category.DRUG, "food": Allergy.Category.FOOD}
CATEGORIES |= {"environment": Allergy.Category.ENVIRONMENT}
CATEGORY_OF = {v: k for k, v in CATEGORIES.items()}
UNCODED_NOTE = "Uncoded entry (free text): the prescribing checks cannot match it, so it warns on every order."
STATEMENT_CODES = {
    AllergyStatement.Kind.NO_KNOWN_DRUG_ALLERGIES: codes.NO_KNOWN_DRUG_ALLERGY,
    AllergyStatement.Kind.NO_KNOWN_ALLERGIES: codes.NO_KNOWN_ALLERGY,
}


def _allergy_code(queryset, values, modifier, context):
    combined = Q()
    for text in values:
        found = search.token(text)
        if found.system in (None, codes.ALLERGEN):
            combined |= ~Q(allergen_code="") if found.code is None else Q(allergen_code=found.code)
        if found.system in (None, codes.ATC) and found.code:
            matching = [a.code for a in allergens.ALLERGENS.values() if a.atc == found.code]
            combined |= Q(allergen_code__in=matching)
    return queryset.filter(combined) if combined else queryset.none()


def _statement_code(queryset, values, modifier, context):
    kinds = []
    for text in values:
        found = search.token(text)
        if found.system in (None, codes.SNOMED):
            kinds += [kind for kind, (code, _) in STATEMENT_CODES.items() if found.code in (None, code)]
    return queryset.filter(kind__in=kinds)


VERIFICATIONS = ("unconfirmed", "confirmed", "refuted", "entered-in-error")


class Allergies(Source):
    permission = "clinical.view_allergy"
    updated_field = "recorded_at"
    params = {
        "patient": patient_param("patient_id"),
        "code": Param("token", _allergy_code, f"{codes.ALLERGEN}|class:penicillins, or an ATC code."),
        "category": choice_param("category", "category", CATEGORIES, "medication | food | environment."),
        "clinical-status": fixed_token("active", "clinical-status", ("active", "inactive", "resolved")),
        "verification-status": choice_param(
            "verification-status",
            "verification",
            {v: v for v in VERIFICATIONS if v != "entered-in-error"},
            "unconfirmed | confirmed | refuted.",
        ),
        "criticality": choice_param("criticality", "severity", {"high": "severe"}, "high (a severe reaction)."),
        "onset": date_param("onset", "onset", "When the reaction happened, with prefixes.", date_only=True),
        "date": date_param("date", "recorded_at", "When it was recorded, with prefixes."),
    }
    includes = {"patient": "Patient"}

    def queryset(self):
        return queries.allergies().select_related("recorded_by")

    def references(self, allergy, parameter):
        return [("Patient", str(allergy.patient_id))] if parameter == "patient" else []

    def resources(self, allergy, context):
        coded = allergens.ALLERGENS.get(allergy.allergen_code) if allergy.allergen_code else None
        coding = []
        if coded:
            coding.append(codes.coding(codes.ALLERGEN, coded.code, coded.name))
            if coded.atc and "," not in coded.atc and "-" not in coded.atc:  # a single ATC code, not a range
                coding.append(codes.coding(codes.ATC, coded.atc))
        reaction = (
            [{"manifestation": [{"text": allergy.reaction}], "severity": allergy.severity}] if allergy.reaction else []
        )
        return [
            compact(
                {
                    "resourceType": "AllergyIntolerance",
                    "id": self.make_id(allergy.pk),
                    "clinicalStatus": codes.concept(codes.ALLERGY_CLINICAL, "active"),
                    "verificationStatus": codes.concept(codes.ALLERGY_VERIFICATION, allergy.verification),
                    "type": "allergy",
                    "category": [CATEGORY_OF[allergy.category]],
                    "criticality": "high" if allergy.severity == Allergy.Severity.SEVERE else "low",
                    "code": {"coding": coding, "text": allergy.substance},
                    "patient": reference("Patient", allergy.patient_id),
                    "onsetDateTime": day(allergy.onset),
                    "recordedDate": instant(allergy.recorded_at),
                    "recorder": practitioner(allergy.recorded_by),
                    "reaction": reaction,
                    "note": [] if coded else [{"text": UNCODED_NOTE}],
                }
            )
        ]


class Statements(Source):
    prefix = "st"
    permission = "clinical.view_allergystatement"
    params = {
        "patient": patient_param("patient_id"),
        "code": Param("token", _statement_code, f"{codes.SNOMED}|{codes.NO_KNOWN_DRUG_ALLERGY[0]} and the like."),
        "category": choice_param(
            "category", "kind", {"medication": AllergyStatement.Kind.NO_KNOWN_DRUG_ALLERGIES}, "medication."
        ),
        "clinical-status": choice_param(
            "clinical-status",
            "withdrawn_at__isnull",
            {"active": True, "inactive": False},
            "active (current) | inactive (withdrawn).",
        ),
        "verification-status": fixed_token("confirmed", "verification-status", VERIFICATIONS),
        "date": date_param("date", "stated_at", "When it was stated, with prefixes."),
    }
    includes = {"patient": "Patient"}

    def queryset(self):
        return queries.allergy_statements().select_related("stated_by")

    def updated_expression(self):
        return Coalesce("withdrawn_at", "stated_at")

    def last_updated(self, statement):
        return statement.withdrawn_at or statement.stated_at

    def references(self, statement, parameter):
        return [("Patient", str(statement.patient_id))] if parameter == "patient" else []

    def resources(self, statement, context):
        code, display = STATEMENT_CODES[statement.kind]
        withdrawn = statement.withdrawn_at is not None
        drugs_only = statement.kind == AllergyStatement.Kind.NO_KNOWN_DRUG_ALLERGIES
        return [
            compact(
                {
                    "resourceType": "AllergyIntolerance",
                    "id": self.make_id(statement.pk),
                    "clinicalStatus": codes.concept(codes.ALLERGY_CLINICAL, "inactive" if withdrawn else "active"),
                    "verificationStatus": codes.concept(codes.ALLERGY_VERIFICATION, "confirmed"),
                    "category": ["medication"] if drugs_only else [],
                    "code": codes.concept(codes.SNOMED, code, display, statement.get_kind_display()),
                    "patient": reference("Patient", statement.patient_id),
                    "recordedDate": instant(statement.stated_at),
                    "recorder": practitioner(statement.stated_by),
                    "note": [{"text": f"Withdrawn: {statement.withdrawn_because}"}] if withdrawn else [],
                }
            )
        ]


class AllergyIntoleranceType(ResourceType):
    name = "AllergyIntolerance"
    sources = (Allergies(), Statements())
    doc = "Allergies (coded or marked uncoded) and 'no known (drug) allergies' statements (`st-N`)."
