"""Refreshing a view kept as a table (reports/projections/base.py `Increment`): only the touched keys.

The changes are the outbox events the projection's last refresh did not see (`refresh.changes_since`,
the same test as "dirty"). Their keys' rows are deleted and recomputed from the write model in one
transaction, so readers (and the standbys, which replay it) see the view before or after, never between.
Recomputing a key reads the write model as it is now, which includes every change the events stand for,
so doing it twice is harmless: an event seen again by the next refresh only recomputes the same rows.

Anything it cannot place (an unknown source, a deleted row, more changes than refresh.MAX_CHANGES)
recomputes the whole view.
"""

import json

from django.db import transaction

from reports.projections.base import View


def refresh(cursor, view: View, changes: list[tuple[str, str]] | None) -> str:
    """Bring the table `view` up to date with `changes` (None: recompute all of it). Says which it did."""
    increment = view.increment
    keys = None
    if changes is not None and all(source in increment.sources for source, _ in changes):
        cursor.execute(increment.touched, {"changes": json.dumps(changes)})
        keys = cursor.fetchall()
        if any(row[0] is None for row in keys):
            keys = None
    with transaction.atomic(using="default"):
        if keys is None:
            cursor.execute(f"DELETE FROM {view.name}")
            cursor.execute(f"INSERT INTO {view.name} {view.select}")
            return "all"
        if not keys:
            return "none"
        names = [column for column, _ in increment.key]
        columns = ", ".join(names)
        typed = ", ".join(f"{column} {kind}" for column, kind in increment.key)
        touched = f"(SELECT {columns} FROM jsonb_to_recordset(%(keys)s::jsonb) AS t({typed}))"
        params = {"keys": json.dumps([dict(zip(names, row, strict=True)) for row in keys], default=str)}
        cursor.execute(f"DELETE FROM {view.name} WHERE ({columns}) IN {touched}", params)
        cursor.execute(f"INSERT INTO {view.name} {increment.select.replace('{touched}', touched)}", params)
        return f"{len(keys)} keys"
