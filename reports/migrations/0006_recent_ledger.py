"""The AR ledger's recent entries (reports/projections/window.py): the ledger view itself follows only
changes dated before today, so that it need not be refreshed after every payment."""

from django.db import migrations

from reports.projections import ar_aging


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_recent_and_open_views")]

    operations = [
        migrations.RunSQL(ar_aging.RECENT_ENTRIES.create_sql(), reverse_sql=ar_aging.RECENT_ENTRIES.drop_sql())
    ]
