"""Database backend for the primary alias (`default`): PostgreSQL that follows a failover.

Each new connection reports which server it reached (a change of server = the primary moved, see
core/routing/failover.py); a transaction starts only when a synchronous standby can confirm its commit;
a connection lost during COMMIT raises CommitOutcomeUnknown rather than a plain "database down"; the rows
a transaction appended as it went (audit and outbox events, core/batch.py) are inserted just before it
commits.

Its flush (transactional tests end with one TRUNCATE of every table) runs with session_replication_role =
replica, which skips the audit table's TRUNCATE trigger (core/migrations/0006) and which only a superuser
may set: the app role (core/db_roles.py) cannot, so a flush as the app role fails on the audit table.
"""

from django.db import InterfaceError, OperationalError
from django.db.backends.postgresql import base, operations

from core import batch
from core.routing import failover


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batched: list = []  # (savepoint ids, rows) appended by core.batch.insert

    def commit(self):
        if self.batched:
            batch.flush(self)
        super().commit()

    def savepoint_commit(self, sid):
        if self.batched and batch.ends_transaction(self):
            batch.flush(self)
        super().savepoint_commit(sid)

    def savepoint_rollback(self, sid):
        super().savepoint_rollback(sid)
        batch.dropped(self, sid)

    def rollback(self):
        self.batched = []
        super().rollback()

    def close(self):
        self.batched = []
        super().close()

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        failover.connected_to(f"{connection.info.host}:{connection.info.port}")
        return connection

    def _set_autocommit(self, autocommit):
        if not autocommit and not self.in_atomic_block:
            failover.ensure_writable(self)  # an outermost atomic() on the primary begins
        super()._set_autocommit(autocommit)

    def _commit(self):
        try:
            return super()._commit()
        except failover.NoSynchronousStandby:
            raise
        except (OperationalError, InterfaceError) as exc:
            raise failover.CommitOutcomeUnknown(str(exc)) from exc
