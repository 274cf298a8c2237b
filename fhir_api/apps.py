from django.apps import AppConfig


class FhirApiConfig(AppConfig):
    """The FHIR R4 facade (/fhir/R4/): resources mapped from the domain apps' queries, searched and read with
    the API's keys, roles, audit and read-your-writes. Named `fhir_api`, not `fhir`: the `fhir` namespace
    belongs to the fhir.resources package the tests validate every answer with."""

    name = "fhir_api"
    verbose_name = "FHIR R4"
