from django.db import migrations

# The audit table was append-only for UPDATE and DELETE; TRUNCATE (a statement, not a row change) now fails
# too. Only a superuser's session with session_replication_role = replica skips it (the test suite's flush,
# core/routing/primary/): the app role can neither set that nor drop the trigger (core/db_roles.py).
REFUSE_TRUNCATE = """
CREATE TRIGGER hmis_auditevent_no_truncate BEFORE TRUNCATE ON hmis_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION hmis_audit_refuse_change();
"""
ALLOW_TRUNCATE = "DROP TRIGGER IF EXISTS hmis_auditevent_no_truncate ON hmis_auditevent;"


class Migration(migrations.Migration):
    dependencies = [("hmis", "0005_apiclient_revoked")]

    operations = [migrations.RunSQL(REFUSE_TRUNCATE, ALLOW_TRUNCATE)]
