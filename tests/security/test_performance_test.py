"""The performance test aggregates the ledger live on the primary (5-10 s at 1M invoices): admins only,
a few runs a minute for the whole hospital, and a statement timeout on the live aggregate."""

import time

import psycopg
import pytest
from django.db import connection

from tests.support.factories.clinical import UserFactory
from tests.support.stack import on_stack, sign_in

pytestmark = on_stack
URL = "/api/v1/reports/performance-test/"


@pytest.mark.parametrize("role", ["report_viewer", "billing_clerk", "clinician"])
def test_report_roles_may_not_run_it(client, role):
    sign_in(client, UserFactory(username=f"r-{role}", roles=[role]))
    assert client.get(URL).status_code == 403


def test_admins_share_one_small_budget(client, settings):
    settings.PERFORMANCE_TEST_RATE = "2/min"
    sign_in(client, UserFactory(username="ops1", roles=["admin"], is_staff=True))
    assert [client.get(URL).status_code for _ in range(2)] == [200, 200]
    refused = client.get(URL)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # The budget is the hospital's, not each admin's: the primary is what it protects.
    sign_in(client, UserFactory(username="ops2", roles=["admin"], is_staff=True))
    assert client.get(URL).status_code == 429


def test_the_live_aggregate_stops_at_the_statement_timeout(client, settings):
    settings.PERFORMANCE_TEST_TIMEOUT_SECONDS = 0.5
    sign_in(client, UserFactory(username="ops3", roles=["admin"], is_staff=True))
    # Another session holds the ledger: the live aggregate waits on it until the timeout cancels it.
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=False
    ) as other:
        other.execute("LOCK TABLE billing_invoice IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        body = client.get(URL, {"report": "ar-aging"}).json()
        waited = time.monotonic() - started
        other.rollback()
    assert waited < 5
    live = body["results"]["live_aggregate"]
    assert live["timed_out"] is True and live["result"] is None
    assert body["agree"] is None
    assert body["results"]["materialized_view"]["result"] is not None  # the other ways still answered
