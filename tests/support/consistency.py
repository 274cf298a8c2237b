"""Is a (restored) database consistent? Every foreign key and CHECK constraint re-verified from the rows."""

import re


def broken_constraints(connection) -> list[str]:
    """Constraints some row breaks (foreign keys by anti-join, CHECKs by their own expression)."""
    broken = []
    rows = connection.execute(
        """SELECT c.conname, c.contype, c.conrelid::regclass::text, c.confrelid::regclass::text,
                  pg_get_constraintdef(c.oid),
                  (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(num, n)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num),
                  (SELECT array_agg(a.attname ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(num, n)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num)
           FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
           WHERE s.nspname = 'public' AND c.contype IN ('f', 'c')"""
    ).fetchall()
    for name, kind, table, parent, definition, columns, parent_columns in rows:
        if kind == "f":
            joined = " AND ".join(f'p."{pc}" = t."{c}"' for c, pc in zip(columns, parent_columns, strict=True))
            present = " AND ".join(f't."{c}" IS NOT NULL' for c in columns)
            orphan = f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE {joined})"
            sql = f"SELECT count(*) FROM {table} t WHERE {present} AND {orphan}"
        else:
            expression = re.sub(r"^CHECK \((.*)\)( NOT VALID)?$", r"\1", definition)
            sql = f"SELECT count(*) FROM {table} WHERE NOT ({expression})"
        if connection.execute(sql).fetchone()[0]:
            broken.append(f"{table}.{name}")
    return broken
