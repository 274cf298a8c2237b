"""The integrators' API (DRF, drf-spectacular): authentication, throttling, idempotency."""

from pathlib import Path

from hmis.settings.env import BASE_DIR, DEBUG, env

REST_FRAMEWORK = {
    # The browsable API only while developing: in production the API speaks JSON and nothing else.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.RoleModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.HmisAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.PerClientThrottle"],
}
# The most items a list page holds: a larger `page_size` is clamped to it (core/api/pagination.py).
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=500)
# Requests per API client (or signed-in user) and period; past it: 429 with Retry-After.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="600/min")
# Invalid API keys per client address and period; past it every key from that address answers 429 unchecked.
API_KEY_FAILURE_RATE = env("API_KEY_FAILURE_RATE", default="20/min")
# The performance test (admins only): runs per period for the whole hospital, and the longest its live
# aggregate may run on the primary.
PERFORMANCE_TEST_RATE = env("PERFORMANCE_TEST_RATE", default="4/min")
PERFORMANCE_TEST_TIMEOUT_SECONDS = env.float("PERFORMANCE_TEST_TIMEOUT_SECONDS", default=20.0)
# Idempotency-Key: how long keys are kept, and how long a retry waits for the first request to finish.
IDEMPOTENCY_KEEP_HOURS = env.int("IDEMPOTENCY_KEEP_HOURS", default=48)
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=10.0)
SPECTACULAR_SETTINGS = {
    "TITLE": "HMIS API",
    "DESCRIPTION": "Hospital management information system: integrators' API (v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies are described as JSON only (form encodings are still parsed, for the browsable API):
    # a generated client given three encodings of one body picks the last, multipart, which cannot carry
    # nested objects (an invoice's lines).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Swagger UI assets ship with the app (drf-spectacular-sidecar): no CDN, hospitals run offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name ("kind", "priority", "status"): each gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "AllergyStatementKindEnum": "clinical.models.AllergyStatement.Kind",
        "KindEnum": "billing.models.Payer.Kind",  # as before issue 20
        "ScheduleExceptionKindEnum": "scheduling.models.ScheduleException.Kind",
        "QueuePriorityEnum": "scheduling.models.QueueEntry.Priority",
        "AdmissionRequestPriorityEnum": "inpatient.models.AdmissionRequest.Priority",
        "AppointmentStatusEnum": "scheduling.models.Appointment.Status",
    },
}
# FHIR Bulk Data $export: where the NDJSON files go (a volume in containers), how long they are kept, and
# how many rows each read takes (each a short keyset query on a standby: no long snapshot to cancel).
FHIR_EXPORT_DIR = Path(env.str("FHIR_EXPORT_DIR", default=str(BASE_DIR / "var" / "fhir-exports"))).resolve()
FHIR_EXPORT_KEEP_HOURS = env.int("FHIR_EXPORT_KEEP_HOURS", default=24)
FHIR_EXPORT_CHUNK = env.int("FHIR_EXPORT_CHUNK", default=2000)
