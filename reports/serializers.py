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


class RevenueFigures(serializers.Serializer):
    invoiced = serializers.DecimalField(**MONEY)
    collected = serializers.DecimalField(**MONEY)
    credited = serializers.DecimalField(**MONEY)
    net = serializers.DecimalField(**MONEY, help_text="invoiced - credited.")


class RevenueRow(RevenueFigures):
    """One department, service or payer (the answer's `dimension`)."""

    key = serializers.IntegerField(allow_null=True, help_text="Its id (null: lines without one).")
    name = serializers.CharField(allow_null=True)


class RevenuePeriod(RevenueFigures):
    period = serializers.DateField(help_text="The first day of the period (day, week or month: `grain`).")


class RevenuePrevious(RevenueFigures):
    start = serializers.DateField()
    end = serializers.DateField()


class RevenueChange(serializers.Serializer):
    invoiced = serializers.FloatField(allow_null=True)
    collected = serializers.FloatField(allow_null=True)
    credited = serializers.FloatField(allow_null=True)
    net = serializers.FloatField(allow_null=True)


class RevenueAnswer(ReportAnswerSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    grain = serializers.ChoiceField(choices=["day", "week", "month"])
    dimension = serializers.ChoiceField(choices=["department", "service", "payer"])
    rows = RevenueRow(many=True)
    totals = RevenueFigures()
    series = RevenuePeriod(many=True, help_text="One entry per period with revenue, oldest first.")
    previous = RevenuePrevious(help_text="The period of equal length just before start.")
    change_percent = RevenueChange(help_text="Change from the previous period in per cent (null: it had none).")


class StockDrug(serializers.Serializer):
    drug_id = serializers.IntegerField()
    code = serializers.CharField()
    generic_name = serializers.CharField()
    strength = serializers.CharField()
    unit = serializers.CharField()
    reorder_level = serializers.IntegerField()
    on_hand = serializers.IntegerField(help_text="Units in unexpired batches.")
    expired_on_hand = serializers.IntegerField(help_text="Units in expired batches still on the shelf.")
    earliest_expiry = serializers.DateField(allow_null=True, help_text="Of the unexpired batches with stock.")
    stock_value = serializers.DecimalField(**MONEY, help_text="Unexpired stock at cost.")
    below_reorder = serializers.BooleanField()


class StockBatch(serializers.Serializer):
    batch_id = serializers.IntegerField()
    code = serializers.CharField()
    generic_name = serializers.CharField()
    strength = serializers.CharField()
    lot_number = serializers.CharField()
    expiry_date = serializers.DateField()
    quantity_on_hand = serializers.IntegerField()
    value = serializers.DecimalField(**MONEY)
    days_left = serializers.IntegerField(help_text="Days to expiry (negative: expired).")
    window = serializers.ChoiceField(
        choices=["expired", "within_30", "within_60", "within_90", "later"],
        help_text="Expired; expiring within 30 days, 31 to 60, 61 to 90; or later.",
    )


class StockTotals(serializers.Serializer):
    drugs = serializers.IntegerField()
    low_stock = serializers.IntegerField()
    stock_value = serializers.DecimalField(**MONEY)
    expired_batches = serializers.IntegerField()
    expired_value = serializers.DecimalField(**MONEY)
    expiring_30 = serializers.IntegerField()
    expiring_60 = serializers.IntegerField()
    expiring_90 = serializers.IntegerField()


class PharmacyStockAnswer(ReportAnswerSerializer):
    as_of = serializers.DateField()
    within_days = serializers.IntegerField()
    rows = StockDrug(many=True, help_text="Every drug's position, those below their reorder level first.")
    batches = StockBatch(many=True, help_text="Batches expiring within `within_days` (or expired), soonest first.")
    totals = StockTotals()


class DiagnosisCount(serializers.Serializer):
    code = serializers.CharField(help_text="ICD-10-CM.")
    description = serializers.CharField(allow_null=True)
    block = serializers.CharField(allow_null=True)
    chapter = serializers.CharField(allow_null=True)
    chapter_title = serializers.CharField(allow_null=True)
    diagnoses = serializers.IntegerField()


class DiagnosisPeriod(serializers.Serializer):
    period = serializers.DateField(help_text="The first day of the month or quarter.")
    code = serializers.CharField()
    diagnoses = serializers.IntegerField()


class DepartmentName(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DiagnosisTotals(serializers.Serializer):
    diagnoses = serializers.IntegerField(help_text="Every code's diagnoses, not only the leaders'.")


class DiagnosisTrendsAnswer(ReportAnswerSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    period = serializers.ChoiceField(choices=["month", "quarter"])
    department = serializers.IntegerField(allow_null=True)
    top = serializers.IntegerField()
    rows = DiagnosisCount(many=True, help_text="The leading codes, most diagnosed first.")
    totals = DiagnosisTotals()
    series = DiagnosisPeriod(many=True, help_text="The leading codes per period, oldest first.")
    departments = DepartmentName(many=True, help_text="The departments the report can be narrowed to.")


class CensusFigures(serializers.Serializer):
    patient_days = serializers.IntegerField(help_text="Patients in a bed at midnight, summed over the days.")
    bed_days = serializers.IntegerField(help_text="Beds in service at midnight, summed over the days.")
    occupancy = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True, help_text="Per cent.")
    admissions = serializers.IntegerField()
    discharges = serializers.IntegerField()
    transfers_in = serializers.IntegerField()
    transfers_out = serializers.IntegerField()
    average_stay = serializers.DecimalField(
        max_digits=8, decimal_places=1, allow_null=True, help_text="Days, of the stays discharged."
    )


class CensusRow(CensusFigures):
    """By ward (ward_id, ward_name) or by day (day; ward_name empty)."""

    ward_id = serializers.IntegerField(required=False)
    ward_name = serializers.CharField(allow_blank=True)
    day = serializers.DateField(required=False)


class CensusDay(CensusFigures):
    day = serializers.DateField()
    census = serializers.IntegerField()


class InpatientCensusAnswer(ReportAnswerSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    ward_id = serializers.IntegerField(allow_null=True)
    group_by = serializers.ChoiceField(choices=["ward", "day"])
    rows = CensusRow(many=True)
    totals = CensusFigures()
    series = CensusDay(many=True, help_text="One entry per day with a census, oldest first.")


class AppointmentFigures(serializers.Serializer):
    slots = serializers.IntegerField()
    capacity = serializers.IntegerField()
    slot_booked = serializers.IntegerField()
    booked = serializers.IntegerField()
    attended = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    arrivals = serializers.IntegerField()
    walk_ins = serializers.IntegerField()
    seen = serializers.IntegerField()
    left_unseen = serializers.IntegerField()
    wait_seconds = serializers.IntegerField()
    no_show_rate = serializers.FloatField(allow_null=True, help_text="Per cent of appointments due.")
    utilisation = serializers.FloatField(allow_null=True, help_text="Per cent of slot capacity booked.")
    average_wait_minutes = serializers.FloatField(allow_null=True)


class AppointmentRow(AppointmentFigures):
    key = serializers.JSONField(
        allow_null=True,
        help_text="What the row is for: a department or provider id, or the day (YYYY-MM-DD) by day; null for "
        "walk-ins nobody saw (by provider).",
    )
    name = serializers.CharField()


class AppointmentDay(AppointmentFigures):
    day = serializers.DateField()


class AppointmentsAnswer(ReportAnswerSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    group_by = serializers.ChoiceField(choices=["department", "provider", "day"])
    department = serializers.IntegerField(allow_null=True)
    provider = serializers.IntegerField(allow_null=True)
    rows = AppointmentRow(many=True)
    totals = AppointmentFigures()
    series = AppointmentDay(many=True, help_text="One entry per day, oldest first.")


class PopulationMonth(serializers.Serializer):
    month = serializers.DateField(help_text="The month's first day.")
    department_id = serializers.IntegerField(help_text="0: all departments (each patient once).")
    department_name = serializers.CharField()
    age_group = serializers.CharField(required=False, help_text="With group_by=age_group.")
    sex = serializers.CharField(required=False, help_text="With group_by=sex.")
    area = serializers.CharField(
        required=False, help_text="With group_by=area: the postal code's first characters (? = none)."
    )
    patients = serializers.IntegerField()
    diabetes_patients = serializers.IntegerField()
    diabetes_controlled = serializers.IntegerField()
    diabetes_untested = serializers.IntegerField()
    hypertension_patients = serializers.IntegerField()
    hypertension_controlled = serializers.IntegerField()
    hypertension_unmeasured = serializers.IntegerField()
    discharges = serializers.IntegerField()
    readmissions_30d = serializers.IntegerField()
    diabetes_control_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    hypertension_control_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    readmission_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class PopulationHealthAnswer(ReportAnswerSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    department = serializers.IntegerField(allow_null=True)
    group_by = serializers.ChoiceField(choices=["month", "department", "age_group", "sex", "area"])
    age_group = serializers.CharField(allow_null=True)
    sex = serializers.CharField(allow_null=True)
    area = serializers.CharField(allow_null=True)
    rows = PopulationMonth(many=True)
    totals = serializers.DictField(allow_null=True, help_text="None: the rows are rates, not sums.")
    series = PopulationMonth(many=True, help_text="The department asked (or all), month by month.")
