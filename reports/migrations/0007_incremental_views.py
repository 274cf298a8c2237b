"""The views that follow every write become tables refreshed key by key (reports/increments.py): today's
open AR balances, the recent AR ledger, and pharmacy stock by drug and by batch. Recomputing them whole
after every write took more CPU than the writes themselves."""

from django.db import migrations

from reports.projections import ar_aging, pharmacy_stock

VIEWS = [ar_aging.OPEN, ar_aging.RECENT_ENTRIES, pharmacy_stock.DRUGS, pharmacy_stock.BATCHES]


def drop_materialized(name: str) -> str:
    # A database migrated from scratch already has the table (the earlier migrations create these views
    # from the current code): drop only a materialized view.
    return f"""DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_matviews WHERE schemaname = current_schema() AND matviewname = '{name}') THEN
            DROP MATERIALIZED VIEW {name};
        END IF;
    END $$"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_recent_ledger")]

    operations = [
        migrations.RunSQL([drop_materialized(view.name), *view.create_sql().split(";\n")], reverse_sql=view.drop_sql())
        for view in VIEWS
    ]
