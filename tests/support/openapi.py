"""Check a JSON answer against a component of our OpenAPI 3.0 schema (the schema drf-spectacular serves)."""

import jsonschema
from drf_spectacular.generators import SchemaGenerator

_schema: dict = {}


def schema() -> dict:
    if not _schema:
        _schema.update(SchemaGenerator().get_schema(request=None, public=True))
    return _schema


def _json_schema(node):
    """OpenAPI 3.0 to JSON Schema: `nullable: true` becomes a null alternative; refs point into $defs."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def validate(answer, component: str) -> None:
    """Raise jsonschema.ValidationError when `answer` does not match components/schemas/`component`."""
    components = schema()["components"]["schemas"]
    whole = {"$ref": f"#/$defs/{component}", "$defs": _json_schema(components)}
    jsonschema.validate(answer, whole, format_checker=jsonschema.FormatChecker())
