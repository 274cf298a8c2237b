"""Migrations hold the projections' SQL literally, generated from the declarations (reports/engine/schema.py,
reports/engine/migration_writer.py): they agree with the declarations, a change becomes drop + create in
dependency order, and a migrated database has the views the declarations describe."""

import dataclasses
import re

import pytest
from django.db import connection

from reports.engine import migration_writer, schema
from reports.projections import REGISTRY, diagnosis_trends, pharmacy_stock

DECLARED = schema.declared(REGISTRY.values())


def _with_view(old, new) -> dict[str, schema.SchemaObject]:
    """The declared objects with view `old` of some projection replaced by `new`."""
    projections = [
        dataclasses.replace(p, views=tuple(new if v is old else v for v in p.views)) for p in REGISTRY.values()
    ]
    return schema.declared(projections)


def _names(pairs) -> list[str]:
    return [obj.name for obj, _ in pairs]


def test_the_migrations_create_what_the_projections_declare():
    plan = schema.plan(migration_writer.applied(), DECLARED)
    assert not plan, (
        "a projection declaration and the migrations disagree: run `manage.py makeprojectionmigration` "
        f"(drops {_names(plan.drops)}, creates {_names(plan.creates)})"
    )


def test_a_changed_view_drops_the_views_reading_it_first_and_creates_them_again_after_it():
    recent = diagnosis_trends.RECENT
    changed = _with_view(recent, dataclasses.replace(recent, select=recent.select + "HAVING count(*) > 0\n"))
    plan = schema.plan(DECLARED, changed)
    assert [(obj.name, obj.drop_sql) for obj, _ in plan.drops] == [
        ("reports_diagnosis_codes", "DROP MATERIALIZED VIEW reports_diagnosis_codes"),
        ("reports_diagnosis_recent", "DROP MATERIALIZED VIEW reports_diagnosis_recent"),
    ]
    assert _names(plan.creates) == [
        "reports_diagnosis_recent",
        "reports_diagnosis_recent_key",
        "reports_diagnosis_recent_month",
        "reports_diagnosis_codes",
        "reports_diagnosis_codes_key",
        "reports_diagnosis_codes_month_diagnoses_code",
    ]
    assert {o.name: why for o, why in plan.drops}["reports_diagnosis_codes"] == (
        "reads reports_diagnosis_recent, which is dropped"
    )


def test_a_new_index_alone_is_created_and_a_changed_one_dropped_and_created():
    batches = pharmacy_stock.BATCHES
    one_more = _with_view(batches, dataclasses.replace(batches, indexes=(*batches.indexes, ("lot_number",))))
    plan = schema.plan(DECLARED, one_more)
    assert plan.drops == [] and _names(plan.creates) == ["reports_pharmacy_batches_lot_number"]

    descending = _with_view(batches, dataclasses.replace(batches, indexes=(("expiry_date DESC",), ("drug_id",))))
    plan = schema.plan(DECLARED, descending)
    assert [obj.drop_sql for obj, _ in plan.drops] == ["DROP INDEX reports_pharmacy_batches_expiry_date"]
    assert [obj.sql for obj, _ in plan.creates] == [
        "CREATE INDEX reports_pharmacy_batches_expiry_date ON reports_pharmacy_batches (expiry_date DESC)"
    ]


def test_a_view_that_becomes_a_table_is_dropped_as_a_view_and_a_view_no_longer_declared_is_dropped():
    census = REGISTRY["census"].views[0]
    drugs = DECLARED["reports_pharmacy_drugs"]
    as_view = drugs.sql.replace("CREATE TABLE", "CREATE MATERIALIZED VIEW") + "\nWITH DATA"
    as_views = {**DECLARED, drugs.name: dataclasses.replace(drugs, kind=schema.MATERIALIZED_VIEW, sql=as_view)}
    plan = schema.plan(as_views, {n: o for n, o in DECLARED.items() if n != census.name and o.on != census.name})
    assert [obj.drop_sql for obj, _ in plan.drops] == [
        "DROP MATERIALIZED VIEW reports_pharmacy_drugs",
        "DROP MATERIALIZED VIEW reports_open_encounters",
    ]
    assert _names(plan.creates) == [
        "reports_pharmacy_drugs",
        "reports_pharmacy_drugs_key",
        "reports_pharmacy_drugs_below_reorder",
    ]


def test_a_written_migration_holds_literal_sql_that_reads_back_as_the_declarations():
    migrations = migration_writer.loader()
    plan = schema.plan({}, DECLARED)
    source = migration_writer.render(plan, {}, migrations)
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["from django.db import migrations"]  # literal SQL, no live code
    namespace = {}
    exec(compile(source, "generated_migration", "exec"), namespace)
    objects: dict[str, schema.SchemaObject] = {}
    for operation in namespace["Migration"].operations:
        for sql in operation.sql:
            migration_writer._apply(objects, sql)
    assert objects == DECLARED
    assert list(objects) == list(DECLARED)  # created in dependency order
    assert migrations.graph.leaf_nodes("clinical")[0] in namespace["Migration"].dependencies  # the tables it reads


def test_the_next_migration_is_numbered_after_the_squashed_one():
    path = migration_writer.next_path(migration_writer.loader(), "projections")
    assert re.fullmatch(r"\d{4}_projections\.py", path.name) and int(path.name[:4]) >= 9


def _columns(cursor, relation: str) -> list[tuple[str, str]]:
    cursor.execute(
        """SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
           WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum""",
        [relation],
    )
    return cursor.fetchall()


@pytest.mark.django_db
def test_a_migrated_database_has_the_views_the_declarations_describe():
    """The test database is made by the migrations: each declared view is there, of its kind, with the
    columns (and, for materialized views, the query) its SELECT gives, with its indexes and no others."""
    kinds = {"m": schema.MATERIALIZED_VIEW, "r": schema.TABLE}
    views = [view for projection in REGISTRY.values() for view in projection.views]
    with connection.cursor() as cursor:
        for view in views:
            cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [view.name])
            assert kinds[cursor.fetchone()[0]] == DECLARED[view.name].kind, view.name
            cursor.execute(f"CREATE TEMPORARY VIEW declared AS {view.select}")
            assert _columns(cursor, view.name) == _columns(cursor, "declared"), view.name
            if not view.increment:
                cursor.execute("SELECT pg_get_viewdef(%s::regclass), pg_get_viewdef('declared'::regclass)", [view.name])
                migrated, declared = cursor.fetchone()
                assert migrated == declared, view.name
            cursor.execute("DROP VIEW declared")
        cursor.execute(
            "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [[v.name for v in views]]
        )
        indexes = {name: (table, re.sub(r"public\.| USING btree", "", sql)) for name, table, sql in cursor.fetchall()}
        for function in (obj for obj in DECLARED.values() if obj.kind == schema.FUNCTION):
            cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [function.signature])
            assert cursor.fetchone()[0], function.name
    assert indexes == {obj.name: (obj.on, obj.sql) for obj in DECLARED.values() if obj.kind == schema.INDEX}
