"""The OpenAPI schema an integrator generates a client from (/api/schema/): every operation says what it does
in words of its own, report filters are typed, report answers have names a client can use, lists page.

No server needed: the schema is generated in-process (it reads no database)."""

import inspect
import re
from collections import Counter

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.api.schema import ERROR_COMPONENT
from reports.catalog import REPORTS

METHODS = ("get", "post", "put", "patch", "delete")
# Names a generated client turns into attributes: no leading digit, nothing that changes with the filters.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def test_every_operation_has_a_summary_and_a_description_of_its_own(schema):
    found = list(operations(schema))
    assert len(found) > 100
    missing = [(m, p) for m, p, op in found if not op.get("summary") or not op.get("description")]
    assert missing == []
    for key in ("summary", "description"):
        shared = {text: n for text, n in Counter(op[key] for _, _, op in found).items() if n > 1}
        assert shared == {}, f"operations share a {key}"
    # The audit mixin's docstring (plumbing, not an operation) is nowhere.
    assert not [p for _, p, op in found if "Records who was shown" in op["description"]]


def test_summaries_are_short_and_start_with_a_capital(schema):
    for method, path, op in operations(schema):
        assert len(op["summary"]) <= 80, (method, path, op["summary"])
        assert op["summary"][0].isupper(), (method, path, op["summary"])


def test_every_write_is_described_by_its_own_handler_not_derived():
    """Reads (list, retrieve) may be described from their resource; a write says what its command does."""
    from django.urls import get_resolver

    undocumented = []
    for pattern in get_resolver("hmis.api_urls").url_patterns:
        callback = getattr(pattern, "callback", None)
        view, actions = getattr(callback, "cls", None), getattr(callback, "actions", None) or {}
        for method, action in actions.items():
            if method in ("post", "put", "patch", "delete") and not inspect.getdoc(getattr(view, action)):
                undocumented.append((pattern.pattern, method, action))
            elif method in ("post", "put", "patch", "delete"):
                defined_in = next(k for k in view.__mro__ if action in k.__dict__)
                if defined_in.__module__.startswith(("rest_framework", "core.")):
                    undocumented.append((pattern.pattern, method, action))
    assert undocumented == []


def test_report_filters_are_typed_with_enums_formats_bounds_and_descriptions(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/reports/ar-aging/"]["get"]["parameters"]}
    assert params["basis"]["schema"] == {"type": "string", "enum": ["due_date", "posting_date"]}
    assert sorted(params["group_by"]["schema"]["enum"]) == ["invoice", "patient", "payer"]
    assert params["as_of"]["schema"] == {"type": "string", "format": "date"}
    assert params["ranges"]["schema"]["pattern"] and "30,60,90,120" in params["ranges"]["description"]
    assert params["payer"]["schema"] == {"type": "integer", "minimum": 1}
    revenue = {p["name"]: p for p in schema["paths"]["/api/v1/reports/revenue/"]["get"]["parameters"]}
    assert sorted(revenue["grain"]["schema"]["enum"]) == ["day", "month", "week"]
    assert "90 days up to end" in revenue["start"]["description"]  # the report's own default span
    for slug, report in REPORTS.items():
        described = schema["paths"][f"/api/v1/reports/{slug}/"]["get"]["parameters"]
        assert [p["name"] for p in described] == sorted(report.form.base_fields), slug
        for parameter in described:
            assert parameter["description"], (slug, parameter["name"])
            assert parameter["schema"].get("type") in ("string", "integer", "boolean"), (slug, parameter)


def test_each_report_answers_with_a_named_schema_whose_keys_a_client_can_name(schema):
    components = schema["components"]["schemas"]
    for slug in REPORTS:
        ref = schema["paths"][f"/api/v1/reports/{slug}/"]["get"]["responses"]["200"]["content"]["application/json"]
        name = ref["schema"]["$ref"].rsplit("/", 1)[1]
        assert name.endswith("Answer") and {"rows", "totals", "fresh_as_of"} <= set(components[name]["properties"])
    aging = components["ArAgingAnswer"]["properties"]
    assert aging["buckets"]["items"]["$ref"].endswith("/AgingBucket")
    row = components["AgingRow"]["properties"]
    assert row["buckets"]["items"]["$ref"].endswith("/AgingBucketAmount")
    assert set(components["AgingBucketAmount"]["properties"]) == {"label", "from_days", "to_days", "amount"}
    bad = [(c, p) for c, body in components.items() for p in body.get("properties", {}) if not IDENTIFIER.match(p)]
    assert bad == []


def test_page_size_is_a_documented_parameter_with_its_maximum(schema, settings):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]}
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1}
    assert f"above {settings.API_MAX_PAGE_SIZE} are clamped" in params["page_size"]["description"]


def test_every_error_response_is_the_one_error_component(schema):
    assert "errors" in schema["components"]["schemas"][ERROR_COMPONENT]["properties"]
    for method, path, op in operations(schema):
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}, (method, path, code)


def test_request_bodies_are_described_as_json_only(schema):
    """Three encodings of one body make generated clients send the last (multipart), which cannot carry
    nested objects such as an invoice's lines."""
    for method, path, op in operations(schema):
        if "requestBody" in op:
            assert set(op["requestBody"]["content"]) == {"application/json"}, (method, path)
