"""The database roles the application runs as: it must not be able to erase or rewrite its own record.

- The app role (settings.DATABASE_APP_ROLE, default hmis_app) is what web and worker connect as
  (DATABASE_USER=hmis_app, or its name in DATABASE_URL). It reads and writes rows and owns nothing: it
  cannot drop, alter or TRUNCATE a table, nor drop the audit table's triggers, and on the audit table it
  may only INSERT and SELECT. It is granted pg_monitor (read-only statistics: is a standby synchronous?).
- The projector role (settings.DATABASE_PROJECTOR_ROLE, default hmis_projector, no login) owns the
  projections' materialized views, because REFRESH needs their owner; the app role is a member. Owning
  derived data gives nothing over the record: the views are rebuilt from the write tables.

Whoever runs `migrate` (a superuser locally; the deployment's owner role elsewhere) creates the roles when
it may create roles, and grants after every migrate (post_migrate, below). Where it may not, a database
administrator creates them once (docs/operations.md) and the grants still follow each migrate.
"""

import logging

from django.conf import settings
from django.db import connections

log = logging.getLogger("hmis.db_roles")

AUDIT_TABLE = "hmis_auditevent"


def _exists(cursor, role: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def _may_create_roles(cursor) -> bool:
    cursor.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    return bool(cursor.fetchone()[0])


def ensure_roles(using: str = "default") -> bool:
    """Create the roles when missing and allowed; grant what each may do. False when the app role is missing."""
    app, projector = settings.DATABASE_APP_ROLE, settings.DATABASE_PROJECTOR_ROLE
    with connections[using].cursor() as cursor:
        if _may_create_roles(cursor):
            if not _exists(cursor, projector):
                cursor.execute(f'CREATE ROLE "{projector}" NOLOGIN')
            if not _exists(cursor, app):
                cursor.execute(f'CREATE ROLE "{app}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION')
            cursor.execute(f'GRANT "{projector}" TO "{app}"')
            # Read-only statistics: is a standby synchronous (core/routing/failover.py), archiving, lag.
            cursor.execute(f'GRANT pg_monitor TO "{app}"')
        if not (_exists(cursor, app) and _exists(cursor, projector)):
            log.warning("database roles %s / %s missing and not created: grants skipped", app, projector)
            return False
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        for statement in (
            f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{app}"',
            f'GRANT USAGE ON SCHEMA "{schema}" TO "{app}", "{projector}"',
            f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{app}"',
            f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{app}"',
            f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{projector}"',  # a refresh reads as the owner
            f'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "{AUDIT_TABLE}" FROM "{app}", "{projector}"',
        ):
            cursor.execute(statement)
        cursor.execute(
            "SELECT matviewname FROM pg_matviews WHERE schemaname = %s AND matviewowner <> %s", [schema, projector]
        )
        for (view,) in cursor.fetchall():
            cursor.execute(f'ALTER MATERIALIZED VIEW "{schema}"."{view}" OWNER TO "{projector}"')
    return True


def after_migrate(sender, using="default", **kwargs):
    if using == "default":
        ensure_roles(using)
