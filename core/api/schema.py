"""OpenAPI: our API-key scheme, the error responses every operation can give, the Idempotency-Key header.

(The scheme is imported at start-up by HmisConfig.ready; HmisAutoSchema is REST_FRAMEWORK's schema class.)
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

ERROR_BODY = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "object",
            "description": "{field: [messages]}; for items of a list field {field: {position: {field: [messages]}}}.",
            "additionalProperties": {},
        }
    },
    "required": ["errors"],
}
ERRORS_ANYWHERE = {
    "400": "Bad input (per-field messages).",
    "401": "No or invalid credentials.",
    "403": "Your role does not allow this.",
    "404": "No such object (or page).",
    "429": "Too many requests for this client: see Retry-After.",
    "503": "The database is unavailable; nothing was saved.",
}
ERRORS_OF_WRITES = {
    "409": "Conflicts with the current state (or the same Idempotency-Key is still in progress).",
    "415": "Unsupported media type.",
}
ERRORS_OF_POSTS = {"422": "This Idempotency-Key was used with a different request."}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Send `Api-Key <key>`; keys are made with `manage.py create_api_client NAME --roles ...`.",
        }


class HmisAutoSchema(AutoSchema):
    def get_override_parameters(self):
        from core.api.views import CommandViewSet

        parameters = super().get_override_parameters()
        if self.method == "POST" and isinstance(self.view, CommandViewSet):
            parameters = [
                *parameters,
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    location=OpenApiParameter.HEADER,
                    required=False,
                    description="Retry safely: the same key and body return the first response without a second "
                    "write; the same key with another body is refused (422). Kept at least 24 hours.",
                ),
            ]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(ERRORS_ANYWHERE)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            errors |= ERRORS_OF_WRITES
        if self.method == "POST":
            errors |= ERRORS_OF_POSTS
        for code, description in errors.items():
            if code not in responses:
                responses[code] = {
                    "content": {"application/json": {"schema": ERROR_BODY}},
                    "description": description,
                }
        return responses
