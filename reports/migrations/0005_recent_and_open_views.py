"""Views for reports at hospital scale (reports/projections/window.py): today's open AR balances, and
the recent windows of revenue and diagnosis trends, revenue by whole month. The diagnosis history view
loses its unused per-month patient count, which cannot be summed across the two windows, and gains an
index by month."""

from django.db import migrations

from reports.projections import ar_aging, diagnosis_trends, revenue, window

NEW_VIEWS = [ar_aging.OPEN, revenue.RECENT, revenue.MONTHLY, diagnosis_trends.RECENT]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_patient_alerts_population_health"),
        ("billing", "0002_recent_window_indexes"),
        ("clinical", "0005_diagnosis_recorded_at_index"),
    ]

    operations = [
        migrations.RunSQL(window.CUTOFF_FUNCTION_SQL, reverse_sql="DROP FUNCTION reports_cutoff(text)"),
        migrations.RunSQL(
            [diagnosis_trends.MONTHLY.drop_sql(), *diagnosis_trends.MONTHLY.create_sql().split(";\n")],
            reverse_sql=migrations.RunSQL.noop,
        ),
        *(migrations.RunSQL(view.create_sql(), reverse_sql=view.drop_sql()) for view in NEW_VIEWS),
    ]
