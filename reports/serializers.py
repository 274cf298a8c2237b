"""The report API's output, for the OpenAPI description: every report answers in this one shape.

Answers are built by the queries and made JSON-safe by reports.presenters.plain; this serializer only
describes them (reports/catalog/base.py says what each key holds).
"""

from rest_framework import serializers


class ReportAnswerSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(), help_text="The table: one object per row, keyed like the report's columns."
    )
    totals = serializers.DictField(allow_null=True, help_text="The table's totals; null when the report has none.")
    source = serializers.ChoiceField(choices=["redis", "materialized_view"], help_text="Where the answer was read.")
    database = serializers.CharField(allow_null=True, help_text="The database that served a view read (null: Redis).")
    refreshed_at = serializers.DateTimeField(allow_null=True, help_text="When the projection's last refresh began.")
    fresh_as_of = serializers.DateTimeField(
        allow_null=True, help_text="The latest moment the answer is known to include every committed write."
    )
    stale_seconds = serializers.FloatField(allow_null=True, help_text="Seconds since fresh_as_of.")
