"""Schemathesis against /api/schema/: every operation, valid and invalid inputs, as an admin API client.

No response may be a 5xx, and every response must match the schema (status code, content type, body,
headers). Bounded: FUZZ_EXAMPLES examples per operation and mode, derandomized so CI runs are repeatable.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


# Loaded while collecting (Django is set up by then; serving the schema touches no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=FUZZ_EXAMPLES,
    deterministic=True,
    database="none",
)


@pytest.fixture
def connections_kept_open():
    """The WSGI app closes database connections at the end of each request, which would end the test's
    transaction; Django's own test client disconnects these receivers the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_key(api_as):
    return api_as("admin")._credentials["HTTP_AUTHORIZATION"]


@pytest.mark.django_db
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=FUZZ_EXAMPLES)
def test_the_api_never_fails_and_always_matches_its_schema(case, admin_key, connections_kept_open):
    case.call_and_validate(headers={"Authorization": admin_key}, checks=CHECKS)


STATEFUL_EXAMPLES = int(os.environ.get("STATEFUL_EXAMPLES", "25"))
# Valid inputs only: a chain goes deeper when each step succeeds (the invalid ones are fuzzed above).
chained = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
chained.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE], deterministic=True, database="none")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_chained_calls_never_fail_and_always_match_the_schema(admin_key):
    """Stateful: sequences of calls where later ones use what earlier ones returned (a patient created,
    then its encounter, its invoice, ...; links inferred by schemathesis from the schema's resources and
    path parameters), so the fuzzing reaches past the 404s of random ids."""
    machine = chained.as_state_machine()
    assert machine.bundles, "no links found: stateful testing would run nothing"

    class Workflow(machine):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": admin_key}}

        def validate_response(self, response, case, additional_checks=(), **kwargs):
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
