from django.db import migrations


class Migration(migrations.Migration):
    """An assignment's patient is its admission's patient: still checked at once, but deferrable, so that a
    merge of two patient records (clinical.commands.patient_merge, which defers what may be deferred) moves
    admissions and their assignments in one transaction, in whichever order."""

    dependencies = [("inpatient", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE inpatient_bedassignment ALTER CONSTRAINT bedassignment_patient_is_admissions "
            "DEFERRABLE INITIALLY IMMEDIATE",
            "ALTER TABLE inpatient_bedassignment ALTER CONSTRAINT bedassignment_patient_is_admissions NOT DEFERRABLE",
        ),
    ]
