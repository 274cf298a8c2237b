"""The report registry (reports/catalog/): one module per report, found without a list to keep, and what a
module's declaration gives the CSV export. (Answers, pages and API per report: test_reports.py.)"""

import datetime
import pkgutil
from dataclasses import replace
from decimal import Decimal

from reports import catalog
from reports.catalog import REPORTS, visible_to
from reports.catalog.base import ANSWER_KEYS, CLINICAL, FINANCIAL


def test_every_module_of_the_catalog_is_a_report_named_after_its_slug_in_menu_order():
    modules = {m.name for m in pkgutil.iter_modules(catalog.__path__)} - {"base"}
    assert {slug.replace("-", "_") for slug in REPORTS} == modules
    first = ["ar-aging", "revenue", "diagnosis-trends", "pharmacy-stock", "population-health"]
    assert [slug for slug in REPORTS if slug in first] == first
    positions = [r.menu_position for r in REPORTS.values()]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)


def test_a_user_sees_the_reports_their_permissions_open():
    class User:
        def __init__(self, *perms):
            self.perms = perms

        def has_perm(self, perm):
            return perm in self.perms

    for permission, some in ((FINANCIAL, {"ar-aging", "revenue"}), (CLINICAL, {"pharmacy-stock"})):
        visible = visible_to(User(permission))
        assert some <= {r.slug for r in visible} and {r.permission for r in visible} == {permission}
    assert visible_to(User()) == []


def test_the_csv_ends_with_the_totals_row_where_the_totals_are_the_columns_sums():
    revenue = REPORTS["revenue"]
    row = {"key": 1, "name": "Radiology", "invoiced": Decimal("80.00")}
    answer = {"dimension": "department", "rows": [row], "totals": {"invoiced": Decimal("80.00")}}
    assert list(revenue.csv_rows(answer, {})) == [row, {"name": "TOTAL", "invoiced": Decimal("80.00")}]
    stock = REPORTS["pharmacy-stock"]  # its totals count drugs and batches: no totals row
    assert list(stock.csv_rows({"rows": [{"code": "PARA"}], "totals": {"drugs": 1}}, {})) == [{"code": "PARA"}]


def test_ar_aging_exports_stream_their_rows_from_the_database_not_from_the_answer():
    asked = []

    def stream(**args):
        asked.append(args)
        yield {"payer_id": 7}

    streamed = replace(REPORTS["ar-aging"], stream_rows=stream)
    args = {"as_of": datetime.date(2026, 3, 2), "group_by": "payer"}
    rows = list(streamed.csv_rows({"rows": [], "totals": {"outstanding": 1}}, args))
    assert asked == [args]
    assert rows[0] == {"payer_id": 7}
    assert rows[1]["payer_name"] == rows[1]["patient_name"] == rows[1]["number"] == "TOTAL"


def test_the_api_describes_each_report_with_its_own_title_filters_and_the_answer_shape():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for slug, report in REPORTS.items():
        operation = schema["paths"][f"/api/v1/reports/{slug}/"]["get"]
        assert operation["summary"] == report.title
        assert {p["name"] for p in operation["parameters"]} == set(report.form.base_fields)
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == {"$ref": "#/components/schemas/ReportAnswer"}
    assert set(ANSWER_KEYS) == set(schema["components"]["schemas"]["ReportAnswer"]["required"])
