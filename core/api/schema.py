"""OpenAPI: our API-key scheme, the error responses every operation can give, the Idempotency-Key header,
each operation's own summary and description, and query parameters derived from Django forms.

(The scheme is imported at start-up by HmisConfig.ready; HmisAutoSchema is REST_FRAMEWORK's schema class.)

Summaries and descriptions: an operation's handler says what it does in its docstring (first line: the
summary; the whole: the description). Handlers a view inherits from DRF's mixins (list, retrieve, ...) say
nothing of their own: theirs are derived from the resource (the model's names, the view's own docstring,
its filters). Docstrings of shared bases (DRF's, core's) are never used: they describe our plumbing, not
the operation. tests/integration/test_api_schema.py fails when two operations share a description.
"""

import inspect

from django import forms
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

ERROR_BODY = {
    "type": "object",
    "description": "Every error of the API (core/api/errors.py): messages by the input field they concern, or under "
    "`detail` (the URL's object, or the request as a whole) or `non_field_errors` (several fields together). A "
    "missing object named in the body: 400 on that field; named in the URL: 404 under `detail`; a clash with the "
    "current state: 409, on the body field that named the object in the way, else under `detail`.",
    "properties": {
        "errors": {
            "type": "object",
            "description": "{field: [messages]}; for items of a list field {field: {position: {field: [messages]}}}.",
            "additionalProperties": {},
        }
    },
    "required": ["errors"],
}
ERROR_COMPONENT = "Error"
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


# Modules whose docstrings describe shared plumbing, never an operation.
_PLUMBING = ("rest_framework.", "core.api.", "drf_spectacular.")


def _own_doc(owner, name: str | None = None) -> str:
    """The docstring written for this view (or its handler `name`) in an app, not inherited from plumbing."""
    for klass in owner.__mro__:
        if name is None:
            doc = klass.__dict__.get("__doc__")
        else:
            if name not in klass.__dict__:
                continue
            doc = getattr(klass.__dict__[name], "__doc__", None)
        if klass.__module__.startswith(_PLUMBING):
            return ""
        if doc:
            return inspect.cleandoc(doc)
        if name is not None:
            return ""
    return ""


def _names(view) -> tuple[str, str]:
    """(singular, plural) of the view's resource: its model's verbose names, else its route's basename."""
    model = get_view_model(view, emit_warnings=False)
    if model is not None:
        singular, plural = str(model._meta.verbose_name), str(model._meta.verbose_name_plural)
    else:
        singular = getattr(view, "basename", None) or type(view).__name__.removesuffix("ViewSet").lower()
        plural = f"{singular}s"
    if singular == plural:  # "vitals"
        singular = f"{singular} record"
    return singular, plural


def _filter_names(view) -> list[str]:
    filterset = getattr(view, "filterset_class", None)
    if filterset is not None:
        return list(filterset.base_filters)
    return list(getattr(view, "filterset_fields", None) or [])


def _field_schema(field: forms.Field) -> tuple[object, list | None, str]:
    """(type or raw schema, enum, description extra) of one form field as a query parameter."""
    if isinstance(field, forms.ModelChoiceField):  # its choices are rows: read at request time, not here
        return {"type": "integer", "minimum": 1}, None, "An id."
    if isinstance(field, forms.TypedChoiceField) and field.coerce is int:
        return {"type": "integer", "minimum": 1}, None, "An id."
    if isinstance(field, forms.ChoiceField):
        return str, [value for value, _ in field.choices if value not in ("", None)] or None, ""
    if isinstance(field, forms.DateField):
        return OpenApiTypes.DATE, None, "A date, YYYY-MM-DD."
    if isinstance(field, forms.IntegerField):
        schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema, None, ""
    if isinstance(field, forms.BooleanField):
        return bool, None, ""
    pattern = getattr(field, "pattern", None)  # a CharField may declare the shape it takes
    return ({"type": "string", "pattern": pattern} if pattern else str), None, ""


def form_parameters(form_class: type[forms.Form]) -> list[OpenApiParameter]:
    """Query parameters described from the form that validates them (declared once, in the form): types,
    formats, enums, bounds; descriptions from each field's help_text."""
    parameters = []
    for name, field in form_class.base_fields.items():
        kind, enum, extra = _field_schema(field)
        # A help text may name the form's default span: "{default_days} days up to end" (reports.filters).
        help_text = str(field.help_text or "").format(default_days=getattr(form_class, "default_days", ""))
        text = " ".join(part for part in (help_text or f"{field.label or name.title()}.", extra) if part)
        parameters.append(
            OpenApiParameter(
                name, kind, location=OpenApiParameter.QUERY, required=field.required, enum=enum, description=text
            )
        )
    return parameters


class HmisAutoSchema(AutoSchema):
    def _handler_name(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def _derived(self) -> tuple[str, str]:
        """(summary, description) for a handler that has no docstring of its own."""
        singular, plural = _names(self.view)
        a = "an" if singular[0].lower() in "aeiou" else "a"
        context = _own_doc(type(self.view))
        action = self._handler_name()
        if action == "list":
            filters = _filter_names(self.view)
            summary = f"List {plural}"
            text = f"The {plural} your role may see, a page at a time (`page`, `page_size`)."
            if filters:
                text += f" Filters: {', '.join(f'`{name}`' for name in filters)}."
        elif action == "retrieve":
            summary, text = f"Get one {singular}", f"One {singular} by its id; 404 when there is none."
        elif action == "create":
            summary, text = f"Create {a} {singular}", f"Create {a} {singular}; answers 201 with it."
        elif action in ("partial_update", "update"):
            summary = f"Change {a} {singular}"
            text = f"Change the fields sent of one {singular}; the others stay as they are."
        elif action == "destroy":
            summary, text = f"Remove {a} {singular}", f"Remove one {singular}; answers 204."
        else:
            words = action.replace("_", " ")
            summary, text = f"{words.capitalize()} ({singular})", f"{words.capitalize()}: an action on {plural}."
        return summary, f"{text}\n\n{context}" if context else text

    def get_summary(self):
        doc = _own_doc(type(self.view), self._handler_name())
        if doc:
            return doc.split("\n", 1)[0].rstrip(".")
        return self._derived()[0]

    def get_description(self):
        return _own_doc(type(self.view), self._handler_name()) or self._derived()[1]

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
        component = ResolvedComponent(
            ERROR_COMPONENT, ResolvedComponent.SCHEMA, schema=ERROR_BODY, object=ERROR_COMPONENT
        )
        self.registry.register_on_missing(component)  # one Error model in generated clients, not one per response
        for code, description in errors.items():
            if code not in responses:
                responses[code] = {
                    "content": {"application/json": {"schema": component.ref}},
                    "description": description,
                }
        return responses
