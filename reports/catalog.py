"""The reports: for each, its filter form, query, permission, and how its page and CSV present it.

Pages and API both go through here, so a page and its endpoint always show the same numbers.
"""

from collections.abc import Callable
from dataclasses import dataclass

from reports import filters, queries
from reports.projections.ar_aging import bucket_label
from reports.queries.ar import ar_aging_rows
from reports.queries.revenue import METRICS

FINANCIAL = "reports.view_financial_reports"
CLINICAL = "reports.view_clinical_reports"
MONEY = "money"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    form: type
    query: Callable[..., dict]
    permission: str
    columns: Callable[[dict], list[Column]]  # the main table's columns for an answer
    csv_rows: Callable[[dict, dict], object]  # (answer, query args) -> iterable of row dicts


def _ar_columns(answer: dict) -> list[Column]:
    keys = {
        "payer": [Column("payer_name", "Payer")],
        "patient": [Column("patient_name", "Patient"), Column("mrn", "MRN")],
        "invoice": [
            Column("number", "Invoice"),
            Column("patient_name", "Patient"),
            Column("payer_name", "Payer"),
            Column("posting_date", "Posted"),
            Column("due_date", "Due"),
        ],
    }[answer["group_by"]]
    money = [Column(m, m.title(), MONEY) for m in ("invoiced", "paid", "credited", "outstanding")]
    buckets = [Column(b, bucket_label(b), MONEY) for b in answer["buckets"]]
    return [*keys, Column("invoices", "Invoices", "int"), *money, *buckets]


def _ar_csv_rows(answer: dict, args: dict):
    yield from ar_aging_rows(**args)
    yield {"payer_name": "TOTAL", "patient_name": "TOTAL", "number": "TOTAL", **answer["totals"]}


def _revenue_columns(answer: dict) -> list[Column]:
    return [Column("name", answer["dimension"].title()), *(Column(m, m.title(), MONEY) for m in METRICS)]


def _diagnosis_columns(answer: dict) -> list[Column]:
    return [
        Column("code", "Code"),
        Column("description", "Description"),
        Column("block", "Block"),
        Column("chapter_title", "Chapter"),
        Column("diagnoses", "Diagnoses", "int"),
    ]


def _stock_columns(answer: dict) -> list[Column]:
    return [
        Column("code", "Code"),
        Column("generic_name", "Drug"),
        Column("strength", "Strength"),
        Column("on_hand", "On hand", "int"),
        Column("reorder_level", "Reorder at", "int"),
        Column("earliest_expiry", "Earliest expiry"),
        Column("expired_on_hand", "Expired on shelf", "int"),
        Column("stock_value", "Value", MONEY),
    ]


def _population_columns(answer: dict) -> list[Column]:
    place = [Column("department_name", "Department")] if answer["group_by"] == "department" else []
    return [
        Column("month", "Month"),
        *place,
        Column("patients", "Under care", "int"),
        Column("diabetes_patients", "Diabetes", "int"),
        Column("diabetes_controlled", "HbA1c < 7 %", "int"),
        Column("diabetes_control_rate", "Diabetes controlled %", "rate"),
        Column("diabetes_untested", "No HbA1c in 12 mo", "int"),
        Column("hypertension_patients", "Hypertension", "int"),
        Column("hypertension_controlled", "BP < 140/90", "int"),
        Column("hypertension_control_rate", "Hypertension controlled %", "rate"),
        Column("hypertension_unmeasured", "No BP in 12 mo", "int"),
        Column("discharges", "Inpatient discharges", "int"),
        Column("readmissions_30d", "Readmitted in 30 d", "int"),
        Column("readmission_rate", "Readmission %", "rate"),
    ]


def _rows_then_total(answer: dict, args: dict):
    yield from answer["rows"]
    if "totals" in answer:
        yield {"name": "TOTAL", "code": "TOTAL", **answer["totals"]}


REPORTS = {
    r.slug: r
    for r in (
        Report("ar-aging", "AR aging", filters.ArAgingFilter, queries.ar_aging, FINANCIAL, _ar_columns, _ar_csv_rows),
        Report(
            "revenue",
            "Revenue analysis",
            filters.RevenueFilter,
            queries.revenue,
            FINANCIAL,
            _revenue_columns,
            _rows_then_total,
        ),
        Report(
            "diagnosis-trends",
            "Diagnosis trends",
            filters.DiagnosisFilter,
            queries.diagnosis_trends,
            CLINICAL,
            _diagnosis_columns,
            lambda answer, args: iter(answer["rows"]),
        ),
        Report(
            "pharmacy-stock",
            "Pharmacy stock",
            filters.StockFilter,
            queries.pharmacy_stock,
            CLINICAL,
            _stock_columns,
            lambda answer, args: iter(answer["drugs"]),
        ),
        Report(
            "population-health",
            "Population health",
            filters.PopulationHealthFilter,
            queries.population_health,
            CLINICAL,
            _population_columns,
            lambda answer, args: iter(answer["rows"]),
        ),
    )
}


# The dashboard's headline numbers, by the permission a user needs to see them.
DASHBOARD_FIELDS = {
    FINANCIAL: ("today_invoiced", "today_collected", "month_invoiced", "ar_outstanding", "ar_over_90"),
    CLINICAL: ("open_encounters", "low_stock", "expiring_30", "expired_batches", "top_diagnoses"),
}


def dashboard_for(user) -> dict | None:
    """The dashboard with only the numbers this user's roles allow (None when they allow none)."""
    allowed = [perm for perm in DASHBOARD_FIELDS if user.has_perm(perm)]
    if not allowed:
        return None
    hidden = {field for perm, fields in DASHBOARD_FIELDS.items() if perm not in allowed for field in fields}
    return {key: value for key, value in queries.dashboard().items() if key not in hidden}
