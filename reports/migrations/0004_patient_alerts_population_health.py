"""Create the patient-alerts and population-health materialized views (issue 10).

The SQL comes from the projection modules, as in 0002. Only these two views: the others are unchanged.
"""

from django.db import migrations

from reports.projections import patient_alerts, population_health

VIEWS = [patient_alerts.ALERTS, population_health.MONTHLY]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_alter_projectionstate_options"),
        ("clinical", "0004_labresult"),
        ("pharmacy", "0001_initial"),
    ]

    operations = [migrations.RunSQL(view.create_sql(), reverse_sql=view.drop_sql()) for view in VIEWS]
