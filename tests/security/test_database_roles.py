"""The application cannot erase or rewrite its own record: it runs as a role that owns nothing and may only
append to the audit table, and TRUNCATE of the audit table fails whoever issues it."""

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from core.audit.models import AuditEvent
from reports.engine import refresh
from tests.support.stack import on_stack

pytestmark = on_stack


def connect(user: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"], port=db["PORT"], user=user, dbname=db["NAME"], autocommit=True)


def refused(conn, sql: str) -> str:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql)
    return str(caught.value)


def test_the_app_role_owns_nothing_and_only_appends_to_the_audit_table():
    app = settings.DATABASE_APP_ROLE
    with connect(app) as conn:
        assert conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (False, False, False)
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user").fetchone() == (0,)
        conn.execute(
            "INSERT INTO hmis_auditevent (at, action, model, object_id, detail, username, api_client, request_id, path)"
            " VALUES (now(), 'view', 'clinical.patient', '1', '', 'intruder', '', '', '')"
        )
        assert conn.execute("SELECT count(*) FROM hmis_auditevent WHERE username = 'intruder'").fetchone() == (1,)
        for sql in (
            "UPDATE hmis_auditevent SET username = 'nobody'",
            "DELETE FROM hmis_auditevent",
            "TRUNCATE hmis_auditevent",
            "DROP TRIGGER hmis_auditevent_append_only ON hmis_auditevent",
            "ALTER TABLE hmis_auditevent DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
            "DROP TABLE clinical_patient",
            "TRUNCATE clinical_patient",
            "CREATE TABLE shadow (id int)",
        ):
            error = refused(conn, sql)
            assert "denied" in error or "must be" in error, (sql, error)
        assert conn.execute("SELECT count(*) FROM hmis_auditevent WHERE username = 'intruder'").fetchone() == (1,)


def test_truncating_the_audit_table_fails_even_for_its_owner():
    AuditEvent.objects.using("default").create(action="view", model="clinical.patient", username="kept")
    with connect(connection.settings_dict["USER"]) as owner:
        assert "append-only" in refused(owner, "TRUNCATE hmis_auditevent")
    assert AuditEvent.objects.using("default").filter(username="kept").exists()


def test_the_app_role_refreshes_the_projections():
    """REFRESH needs a view's owner: the projector role owns them and the app role is a member."""
    owner = connection.settings_dict["USER"]
    connection.settings_dict["USER"] = settings.DATABASE_APP_ROLE
    connection.close()
    try:
        assert connection.cursor().connection.info.user == settings.DATABASE_APP_ROLE
        for name in ("ar_aging", "revenue", "diagnosis_trends", "pharmacy_stock", "patient_alerts"):
            refresh.refresh(name, force=True)
    finally:
        connection.close()
        connection.settings_dict["USER"] = owner
