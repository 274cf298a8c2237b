"""Create the projections' materialized views (with the unique indexes REFRESH ... CONCURRENTLY needs).

The SQL comes from the projection modules. Changing a view later = a new migration that drops and
recreates it from the module's then-current SQL.
"""

from django.db import migrations

from reports.projections import ar_aging, census, diagnosis_trends, pharmacy_stock, revenue

# The views as first created (later migrations add the others).
VIEWS = [
    ar_aging.ENTRIES,
    revenue.DAILY,
    diagnosis_trends.MONTHLY,
    *pharmacy_stock.PROJECTION.views,
    *census.PROJECTION.views,
]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("billing", "0001_initial"),
        ("clinical", "0002_load_icd10cm"),
        ("pharmacy", "0001_initial"),
    ]

    operations = [migrations.RunSQL(view.create_sql(), reverse_sql=view.drop_sql()) for view in VIEWS]
