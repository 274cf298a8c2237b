"""The CapabilityStatement, derived from the resource declarations: it lists exactly what is supported."""

from django.conf import settings

from fhir_api import engine, writes
from fhir_api.resources import TYPES

PUBLISHED = "2026-12-02"  # when what this statement lists last changed
SYSTEM_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
PATIENT_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
EVERYTHING = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
# Parameters every type has (FHIR's common ones), beside those a type declares.
COMMON = (
    {"name": "_id", "type": "token", "documentation": "The resource id."},
    {"name": "_lastUpdated", "type": "date", "documentation": "When the resource last changed, with prefixes."},
)


def statement(base_url: str) -> dict:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": PUBLISHED,
        "publisher": settings.HOSPITAL_NAME,
        "kind": "instance",
        "software": {"name": "HMIS"},
        "implementation": {"description": f"{settings.HOSPITAL_NAME}: FHIR R4 facade", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    f"Searches return at most {engine.MAX_COUNT} resources a page ({engine.DEFAULT_COUNT} unless "
                    "_count says otherwise), paged by `next` links that stay correct while data changes. Unknown "
                    "parameters are ignored unless the request says Prefer: handling=strict. Creates go through the "
                    "same commands as the API and pages; If-None-Exist and Idempotency-Key make retries safe."
                ),
                "security": {
                    "description": "Authorization: Api-Key <key> (an API client of the hospital), or a staff "
                    "session. Each resource type needs its role's read permission; every read of patient data "
                    "is audited."
                },
                "resource": [_resource(t) for t in TYPES.values()],
                "operation": [{"name": "export", "definition": SYSTEM_EXPORT}],
            }
        ],
    }


def _resource(resource_type) -> dict:
    found = {
        "type": resource_type.name,
        "documentation": resource_type.doc,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "versioned",
        "readHistory": False,
        "conditionalRead": "not-match",
        "searchInclude": [f"{resource_type.name}:{p}" for p in resource_type.includes],
        "searchParam": [
            *COMMON,
            *({"name": name, "type": p.type, "documentation": p.doc} for name, p in resource_type.params.items()),
        ],
    }
    if resource_type.name in writes.CREATE:
        found["interaction"].append({"code": "create"})
        found["conditionalCreate"] = True
    if resource_type.name == "Patient":
        found["operation"] = [
            {"name": "everything", "definition": EVERYTHING},
            {"name": "export", "definition": PATIENT_EXPORT},
        ]
    if not found["searchInclude"]:
        del found["searchInclude"]
    return found
