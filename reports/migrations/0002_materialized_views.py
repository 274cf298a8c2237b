"""Create the projections' materialized views (with the unique indexes REFRESH ... CONCURRENTLY needs).

The SQL comes from the projection modules. Changing a view later = a new migration that drops and
recreates it from the module's then-current SQL.
"""

from django.db import migrations

from reports.projections import REGISTRY

# The projections that existed when this migration was written: later ones come with their own migration
# (0004 on), so this one must not pick them up from the registry.
FIRST = ("ar_aging", "revenue", "diagnosis_trends", "pharmacy_stock", "census")
VIEWS = [view for name in FIRST for view in REGISTRY[name].views]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("billing", "0001_initial"),
        ("clinical", "0002_load_icd10cm"),
        ("pharmacy", "0001_initial"),
    ]

    operations = [migrations.RunSQL(view.create_sql(), reverse_sql=view.drop_sql()) for view in VIEWS]
