"""OperationOutcome: how every FHIR error is told (http://hl7.org/fhir/R4/operationoutcome.html)."""

import json

from django.http import HttpResponse

CONTENT_TYPE = "application/fhir+json; charset=utf-8"


def issue(code: str, message: str, *, severity: str = "error", expression: list[str] | None = None) -> dict:
    found = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        found["expression"] = expression
    return found


def outcome(*issues: dict) -> dict:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def response(status: int, *issues: dict, headers: dict | None = None) -> HttpResponse:
    return fhir_response(outcome(*issues), status=status, headers=headers)


def fhir_response(body: dict, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    found = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        found[name] = value
    return found
