"""The report API's output, for the OpenAPI description: every report answers in one shape (rows, totals,
freshness) beside the filters it was asked with; a report may describe its own rows (Report.answer_schema).

Answers are built by the queries and made JSON-safe by reports.presenters.plain (money as strings); these
serializers only describe them (reports/catalog/base.py says what each key holds).
"""

from rest_framework import serializers

MONEY = {"max_digits": 16, "decimal_places": 2}


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


class AgingBucket(serializers.Serializer):
    """An age bucket: ages from from_days to to_days, both included (days since the due or posting date;
    negative: not due yet). A null bound is open: Not due has no lower bound, the oldest no upper one."""

    label = serializers.CharField(help_text='As shown on the page: "Not due", "0-30", "121+".')
    from_days = serializers.IntegerField(allow_null=True)
    to_days = serializers.IntegerField(allow_null=True)


class AgingBucketAmount(AgingBucket):
    amount = serializers.DecimalField(**MONEY, help_text="What is outstanding at this age.")


class AgingFigures(serializers.Serializer):
    invoices = serializers.IntegerField(help_text="Invoices with a balance at as_of.")
    invoiced = serializers.DecimalField(**MONEY)
    paid = serializers.DecimalField(**MONEY)
    credited = serializers.DecimalField(**MONEY)
    outstanding = serializers.DecimalField(**MONEY, help_text="invoiced - paid - credited; the buckets sum to it.")
    buckets = AgingBucketAmount(many=True, help_text="In the order of the answer's buckets, one per bucket.")


class AgingRow(AgingFigures):
    """One row; which keys it has depends on group_by (payer: payer_*; patient: patient_*, mrn; invoice:
    all of them, with the invoice's number and dates)."""

    payer_id = serializers.IntegerField(required=False)
    payer_name = serializers.CharField(required=False)
    patient_id = serializers.IntegerField(required=False)
    patient_name = serializers.CharField(required=False)
    mrn = serializers.CharField(required=False)
    invoice_id = serializers.IntegerField(required=False)
    number = serializers.CharField(required=False, allow_null=True)
    posting_date = serializers.DateField(required=False)
    due_date = serializers.DateField(required=False)


class ArAgingAnswer(ReportAnswerSerializer):
    as_of = serializers.DateField()
    basis = serializers.ChoiceField(choices=["due_date", "posting_date"])
    ranges = serializers.ListField(child=serializers.IntegerField(), help_text="The buckets' upper bounds asked for.")
    group_by = serializers.ChoiceField(choices=["payer", "patient", "invoice"])
    buckets = AgingBucket(many=True, help_text="The buckets, youngest first: Not due, then each range, then the rest.")
    rows = AgingRow(many=True)
    totals = AgingFigures()
