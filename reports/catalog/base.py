"""What a report module declares, and the one shape every report's answer has.

An answer (what a report's query returns, and what GET /api/v1/reports/{slug}/ sends) is a dict with
    rows           the table: one dict per row, the same keys as the report's columns (and ids for links)
    totals         the table's totals (a dict), or None when the report has none
    source, database, refreshed_at, fresh_as_of, stale_seconds
                   where it was read and how fresh it is (reports/queries/common.py)
beside the filters it was asked with (as_of, start, end, group_by, ...) and what the report's charts or
template parts need (series, batches, ...).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms

FINANCIAL = "reports.view_financial_reports"
CLINICAL = "reports.view_clinical_reports"
# Rows that name patients (AR by patient or invoice) also need this: report viewers, who see the hospital's
# figures, see patients' names and MRNs only where their role lets them see patients at all.
PATIENT_NAMES = "clinical.view_patient"
NAMES_REFUSED = "These rows name patients, and your role does not let you see patients: group by payer instead."
PERFORMANCE_TEST = "reports.run_performance_test"  # admins only: it loads the primary on purpose

ANSWER_KEYS = ("rows", "totals", "source", "database", "refreshed_at", "fresh_as_of", "stale_seconds")

# Column kinds (CSS classes of the page's cells): text, int, money, rate.
MONEY = "money"
# Chart colours, in the order a report's datasets take them.
PALETTE = ["#0b5cad", "#2e8540", "#e6a700", "#d9534f", "#7b3fa0", "#17a2b8", "#6c757d", "#fd7e14", "#20c997", "#343a40"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"
    # Where a row holds the value when it is not row[key] (e.g. an AR bucket's amount in its list).
    value: Callable[[dict], object] | None = None

    def of(self, row: dict):
        """This column's value in a row (or the totals): the page's cell, the CSV's field."""
        return self.value(row) if self.value is not None else row.get(self.key)


@dataclass(frozen=True)
class Report:
    """One report: pages (/reports/{slug}/), the API (/api/v1/reports/{slug}/) and the CSV export all read
    it, so they validate alike and show the same numbers."""

    slug: str
    title: str
    permission: str
    menu_position: int  # where the report sits in the navigation, smallest first
    form: type[forms.Form]  # the filters; form.query_args() are the query's keyword arguments
    query: Callable[..., dict]  # the answer, in the shape above (a reports.queries function, or its own)
    columns: Callable[[dict], list[Column]]  # the table's columns for an answer
    charts: Callable[[dict], list[dict]]  # chart specs for an answer, drawn by static/js/charts.js
    # When the totals are the columns' sums: they are the table's last row, on the page and in the CSV,
    # where these keys (those naming a row) read TOTAL. Empty: no totals row.
    totals_row: tuple[str, ...] = ()
    # The CSV's rows when they should not come from the answer: called with the query's arguments, so a
    # large export is streamed from the database rather than held in memory.
    stream_rows: Callable[..., Iterable[dict]] | None = None
    # A row's drill-down: the filters that show what lies beneath it (None: the row links nowhere).
    link: Callable[[dict, dict], dict | None] | None = None  # (answer, row) -> filters
    # A row's own page elsewhere (an invoice, a payer's invoices): (url, permission to follow it), or None.
    record_link: Callable[[dict, dict], tuple[str, str] | None] | None = None  # (answer, row)
    # The days the figures cover, when not the filters' start..end (monthly counts cover whole months).
    period: Callable[[dict], tuple] | None = None  # query arguments -> (first day, last day)
    row_class: Callable[[dict], str] | None = None  # a row's CSS class (e.g. "low" for low stock)
    summary_template: str | None = None  # a template part shown above the charts
    details_template: str | None = None  # a template part shown below the table
    # Whether an answer names patients, given its filters (query arguments or a drill-down's filters).
    names_patients: Callable[[dict], bool] | None = None
    # The answer's shape for the OpenAPI schema (a DRF serializer class); None: the shape all answers share.
    answer_schema: type | None = None
    # What the report shows, for the API's description: the module's docstring unless given.
    description: str = ""

    def permissions(self, filters: dict) -> tuple[str, ...]:
        """What a user needs for the answer to these filters: the report's permission, and PATIENT_NAMES
        when its rows name patients."""
        names = self.names_patients is not None and self.names_patients(filters)
        return (self.permission, PATIENT_NAMES) if names else (self.permission,)

    def allowed(self, user, filters: dict) -> bool:
        return all(user.has_perm(p) for p in self.permissions(filters))

    def csv_rows(self, answer: dict, args: dict) -> Iterable[dict]:
        """The export's rows: the table (streamed when the report says so), then its totals."""
        yield from self.stream_rows(**args) if self.stream_rows else answer["rows"]
        if self.totals_row:
            yield {**answer["totals"], **dict.fromkeys(self.totals_row, "TOTAL")}
