"""Database backend for hot-standby aliases: PostgreSQL, but knowing the alias is a read-only copy.

A standby cannot create, flush or drop a database: it receives all of that from the primary by
physical replication. So for tests, "creating" the standby's test database means waiting until the
primary's test database has been replayed here, and flushing it is a no-op (flushing the primary's
test database flushes this copy too). Queries are plain PostgreSQL.
"""

import time

from django.db import DatabaseError, connections
from django.db.backends.postgresql import base, creation, operations

from core.routing import lsn as lsn_mod

REPLAY_WAIT_SECONDS = 60


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        # The primary's test database exists by now (TEST DEPENDENCIES = ["default"]).
        test_name = connections["default"].settings_dict["NAME"]
        self.connection.close()
        self.connection.settings_dict["NAME"] = test_name
        wait_for_replay(self.connection, lsn_mod.primary_lsn())
        if verbosity >= 1:
            self.log(f"Standby '{self.connection.alias}' replays test database '{test_name}'")
        return test_name

    def destroy_test_db(self, old_database_name=None, verbosity=1, keepdb=False, suffix=None):
        self.connection.close()
        if old_database_name is not None:
            self.connection.settings_dict["NAME"] = old_database_name

    def serialize_db_to_string(self):
        return ""


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        return []


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    ops_class = DatabaseOperations


def wait_for_replay(connection, target: int, timeout: float = REPLAY_WAIT_SECONDS) -> None:
    """Block until the standby behind `connection` has replayed WAL up to `target`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn()::text, pg_is_in_recovery()")
                replayed, in_recovery = cursor.fetchone()
                replayed = lsn_mod.parse(replayed)
            if not in_recovery or (replayed is not None and replayed >= target):
                return  # caught up, or the primary itself (a node listed as a standby may lead now)
        except DatabaseError as exc:  # the database may not have been replayed yet
            last_error = exc
            connection.close()
        time.sleep(0.05)
    raise RuntimeError(f"standby '{connection.alias}' did not replay {lsn_mod.format_lsn(target)}: {last_error}")
