"""Database backend for the primary in tests: PostgreSQL, whose flush may empty the append-only audit table.

Transactional tests end by flushing every table with one TRUNCATE, which the audit table's trigger refuses
(core/migrations/0006). The flush runs with session_replication_role = replica, which skips triggers and
which only a superuser may set: the app role (core/db_roles.py) cannot, so it cannot do the same.
Used by hmis/settings/test.py only.
"""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
