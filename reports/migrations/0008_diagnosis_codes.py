"""Diagnosis totals per recent month and code (reports/projections/diagnosis_trends.py CODES): a month's
leading codes read off one index."""

from django.db import migrations

from reports.projections import diagnosis_trends


class Migration(migrations.Migration):
    dependencies = [("reports", "0007_incremental_views")]

    operations = [migrations.RunSQL(diagnosis_trends.CODES.create_sql(), reverse_sql=diagnosis_trends.CODES.drop_sql())]
