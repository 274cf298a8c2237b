"""Streams rows into tables with PostgreSQL COPY: one connection per table, all open at once.

Generation runs in this process while the server parses and indexes on its own core. Each table's rows
are committed at the end in dependency order (parents first); until then nothing is visible, and a
failure leaves nothing.

Foreign keys: checking them row by row (PostgreSQL's deferred triggers) costs 20-30 s per million rows,
so the streams run with `session_replication_role = replica`, which skips those triggers (it needs a
superuser, as the local stack's `postgres` is). After the commit every foreign key of every loaded table
is verified with one anti-join each, and any orphan is an error. CHECK and UNIQUE constraints are
enforced during the load as usual.
"""

import time
from contextlib import ExitStack

import psycopg
from django.db import connections
from tqdm import tqdm

NULL = r"\N"
FLUSH_ROWS = 5000


def conninfo(alias: str = "default") -> str:
    db = connections[alias].settings_dict
    parts = {
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"],
        "port": db["PORT"],
    }
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in parts.items() if v})


class TableStream:
    def __init__(
        self, stack: ExitStack, table: str, columns: tuple[str, ...], total: int, position: int, progress: bool = True
    ):
        self.table, self.columns = table, columns
        self.connection = stack.enter_context(psycopg.connect(conninfo()))
        self.connection.execute("SET synchronous_commit = off")
        self.connection.execute("SET session_replication_role = replica")
        cursor = self.connection.cursor()
        self._copying = cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        self._copy = self._copying.__enter__()
        self.rows = 0
        self._buffer: list[str] = []
        self.bar = stack.enter_context(
            tqdm(
                total=total,
                desc=f"{table:<28}",
                position=position,
                unit=" rows",
                unit_scale=True,
                leave=True,
                dynamic_ncols=True,
                mininterval=0.5,
                disable=not progress,
            )
        )

    def add(self, line: str) -> None:
        """One row, already in COPY text format (tab-separated, \\N for NULL)."""
        self._buffer.append(line)
        if len(self._buffer) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._copy.write("\n".join(self._buffer) + "\n")
            self.rows += len(self._buffer)
            self.bar.update(len(self._buffer))
            self._buffer.clear()

    def finish(self) -> float:
        """End the COPY and commit (the deferred foreign-key checks run here). Returns the seconds it took."""
        self.flush()
        self.bar.total = self.rows
        self.bar.refresh()
        started = time.perf_counter()
        self._copying.__exit__(None, None, None)  # ends the COPY
        self.connection.commit()
        return time.perf_counter() - started


class Loader:
    """Opens a stream per table; `commit()` ends them in the order they were opened."""

    def __init__(self, *, progress: bool = True):
        self._stack = ExitStack()
        self.streams: dict[str, TableStream] = {}
        self.progress = progress  # a bar per table on the terminal

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:  # close at once: a rollback would wait for the COPY to end
            for stream in self.streams.values():
                stream.connection.close()
        self._stack.__exit__(*exc)

    def open(self, table: str, columns: tuple[str, ...], total: int) -> TableStream:
        stream = TableStream(self._stack, table, columns, total, position=len(self.streams), progress=self.progress)
        self.streams[table] = stream
        return stream

    def commit(self, say) -> None:
        for stream in self.streams.values():
            stream.finish()
            say(f"committed {stream.table}: {stream.rows:,} rows")
        for stream in self.streams.values():
            started = time.perf_counter()
            checked = verify_foreign_keys(stream.connection, stream.table)
            say(f"verified {checked} foreign keys of {stream.table} in {time.perf_counter() - started:.1f} s")


FOREIGN_KEYS_SQL = """
SELECT c.conname, a.attname, c.confrelid::regclass::text, fa.attname
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND cardinality(c.conkey) = 1
"""


def verify_foreign_keys(connection, table: str) -> int:
    """Raise if any row of `table` points at a missing parent; returns how many keys were checked."""
    keys = connection.execute(FOREIGN_KEYS_SQL, [table]).fetchall()
    for name, column, parent, parent_column in keys:
        (orphans,) = connection.execute(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "  # noqa: S608 (catalog names)
            f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_column} = t.{column})"
        ).fetchone()
        if orphans:
            raise RuntimeError(f"{orphans} rows of {table} break foreign key {name}")
    connection.commit()
    return len(keys)
