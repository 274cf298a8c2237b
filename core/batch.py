"""Rows a transaction appends as it goes (audit events, outbox events), inserted together as it ends.

A command saves a few rows, and each save appends an audit event and outbox events: inserted one by one,
that is two more round trips per save. Appended here instead, they wait on the connection and are
inserted just before the transaction commits, one INSERT per model, in the same transaction: they still
commit or roll back with the change. Rows appended inside a savepoint that is rolled back are dropped
with it.

The primary's backend (core/routing/primary/) calls `flush` before COMMIT and `dropped` after a rollback
to a savepoint. "Outermost" is as Django's durable atomic blocks see it: an atomic block directly inside
a test case's own (a test's transaction never commits) ends like a transaction, so tests see the rows
when the command returns. Outside a transaction, or on a backend that does not batch, rows are inserted
at once.
"""

from django.db import connections


def _batching(connection) -> bool:
    blocks = connection.atomic_blocks
    return (
        hasattr(connection, "batched")
        and connection.in_atomic_block
        and bool(blocks)
        and not getattr(blocks[-1], "_from_testcase", False)
    )


def insert(alias: str, rows: list) -> None:
    """Insert `rows` (unsaved instances of one model) as the current transaction ends (now, outside one)."""
    if not rows:
        return
    connection = connections[alias]
    if _batching(connection):
        connection.batched.append((tuple(connection.savepoint_ids), rows))
    else:
        type(rows[0]).objects.using(alias).bulk_create(rows)


def flush(connection) -> None:
    """Insert what waits, one statement per model, in the order first appended."""
    pending, connection.batched = connection.batched, []
    by_model: dict[type, list] = {}
    for _, rows in pending:
        by_model.setdefault(type(rows[0]), []).extend(rows)
    for model, rows in by_model.items():
        model.objects.using(connection.alias).bulk_create(rows)


def ends_transaction(connection) -> bool:
    """Does the atomic block being left (already popped) end the transaction as the app sees it?"""
    blocks = connection.atomic_blocks
    return not blocks or getattr(blocks[-1], "_from_testcase", False)


def dropped(connection, sid: str) -> None:
    """The rows appended inside savepoint `sid`, which was rolled back, are gone with it."""
    connection.batched = [(sids, rows) for sids, rows in connection.batched if sid not in sids]
