"""Every resource type the server supports, by name (the CapabilityStatement lists exactly these)."""

from fhir_api.resources.allergy import AllergyIntoleranceType
from fhir_api.resources.base import ResourceType
from fhir_api.resources.condition import ConditionType
from fhir_api.resources.directory import LocationType, OrganizationType, PractitionerType
from fhir_api.resources.encounter import EncounterType
from fhir_api.resources.medication import MedicationDispenseType, MedicationRequestType, MedicationType
from fhir_api.resources.observation import ObservationType
from fhir_api.resources.patient import PatientType

TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        PatientType(),
        EncounterType(),
        ConditionType(),
        AllergyIntoleranceType(),
        ObservationType(),
        MedicationRequestType(),
        MedicationDispenseType(),
        MedicationType(),
        PractitionerType(),
        OrganizationType(),
        LocationType(),
    )
}
