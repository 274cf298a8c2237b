"""The database router: writes to the primary, reads to a caught-up standby, else the primary."""

import random

from django.db import connections

from core import metrics
from core.routing import health, state
from core.routing.state import PRIMARY_ONLY

PRIMARY = "default"


def read_alias() -> str:
    """Where the next read of the current unit of work goes.

    Primary when: no standby is configured; the unit of work has written (or locked rows); we are inside
    a transaction on the primary (reads there must see its uncommitted rows); or no standby is usable and
    caught up with the LSN this unit of work must see. The choice sticks for the rest of the unit of work
    (unless that standby fails).
    """
    current = state.current()
    if current.wrote or current.min_lsn == PRIMARY_ONLY or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    if current.read_from == PRIMARY or (current.read_from and health.usable(current.read_from)):
        return current.read_from
    candidates = health.standby_aliases()
    random.shuffle(candidates)  # spread load over the standbys
    behind = False
    for alias in candidates:
        if health.usable(alias) is None:
            continue
        if current.min_lsn is not None and not health.has_replayed(alias, current.min_lsn):
            behind = True
            continue
        current.read_from = alias
        metrics.ROUTER_DECISIONS.labels("standby").inc()
        return alias
    current.read_from = PRIMARY
    if candidates:
        metrics.ROUTER_DECISIONS.labels("primary_read_your_writes" if behind else "primary_no_standby").inc()
    return PRIMARY


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        # Asking for the write alias (save, delete, update, select_for_update, get_or_create, ...) pins
        # the rest of this unit of work to the primary: it must read what it wrote.
        state.current().wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data (physical replication), so relations are always allowed.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
