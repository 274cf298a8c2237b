"""Load the ICD-10-CM code list (CMS, as shipped by the simple-icd-10-cm package) with COPY."""

from django.db import migrations

COLUMNS = "code, description, chapter, chapter_title, block, billable"


def icd10cm_rows():
    import simple_icd_10_cm as cm

    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code):
            continue
        ancestors = cm.get_ancestors(code)
        chapter = ancestors[-1]
        block = next(a for a in ancestors if cm.is_block(a))
        yield code, cm.get_description(code)[:300], chapter, cm.get_description(chapter)[:200], block, cm.is_leaf(code)


def load(apps, schema_editor):
    with (
        schema_editor.connection.cursor() as cursor,
        cursor.copy(f"COPY clinical_icd10code ({COLUMNS}) FROM STDIN") as copy,
    ):
        for row in icd10cm_rows():
            copy.write_row(row)


def unload(apps, schema_editor):
    schema_editor.execute("DELETE FROM clinical_icd10code")


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
