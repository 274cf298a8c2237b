"""The safety engine's reference tables, written from the curated lists after every migrate.

The curated lists are Python (reviewable, documented, tested); the rules are SQL (engine.py), read by the
checks and by the patient-alerts view. These four tables are the bridge: each is derived from the lists
here, compared with what the database holds after every `migrate`, and rewritten in one transaction when
they differ (then `changed` is sent: the read side recomputes the alerts). So a change of a list reaches
the checks and the alerts with the next deploy, and both always read the same rows.
"""

import django.dispatch
from django.db import connections, transaction

from pharmacy.safety import classes, engine, renal

# Sent (in the writing transaction) when a sync changed the tables; `tables`: the names that changed.
changed = django.dispatch.Signal()


def _class_members() -> list[tuple]:
    return [(i, c.code, c.name, c.duplicate) for c in classes.CLASSES for i in c.ingredients]


def _renal() -> list[tuple]:
    return [(i, r.target, r.below, r.action, r.advice) for r in renal.RENAL_RULES for i in r.ingredients]


TABLES = {
    "pharmacy_allergen_match": (("allergen_code", "ingredient", "action", "why"), engine.allergen_matches),
    "pharmacy_interaction_pair": (
        ("here", "there", "first", "second", "severity", "effect"),
        engine.interaction_pairs,
    ),
    "pharmacy_class_member": (("ingredient", "class_code", "class_name", "duplicate"), _class_members),
    "pharmacy_renal_rule": (("ingredient", "target", "below", "action", "advice"), _renal),
}


def sync(using: str = "default") -> list[str]:
    """Make the tables hold what the lists say; the names of those rewritten."""
    rewritten = []
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        for table, (columns, rows) in TABLES.items():
            wanted = list(rows())
            names = ", ".join(columns)
            cursor.execute(f"SELECT {names} FROM {table}")
            if sorted(map(tuple, cursor.fetchall())) == sorted(wanted) and len(wanted) == cursor.rowcount:
                continue
            cursor.execute(f"DELETE FROM {table}")
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in wanted:
                    copy.write_row(row)
            cursor.execute(f"ANALYZE {table}")
            rewritten.append(table)
        if rewritten:
            changed.send(sender=sync, tables=rewritten, using=using)
    return rewritten


def after_migrate(sender, using="default", **kwargs) -> None:
    sync(using=using)
