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
        name = f"{slug.title().replace('-', '')}Answer"
        assert answer == {"$ref": f"#/components/schemas/{name}"}  # each report's answer has a name of its own
        assert set(ANSWER_KEYS) <= set(schema["components"]["schemas"][name]["required"])


def test_ar_aging_buckets_are_a_list_with_bounds_whatever_the_ranges():
    from reports.projections.ar_aging import buckets

    assert buckets((30, 60, 90, 120)) == [
        {"label": "Not due", "from_days": None, "to_days": -1},
        {"label": "0-30", "from_days": 0, "to_days": 30},
        {"label": "31-60", "from_days": 31, "to_days": 60},
        {"label": "61-90", "from_days": 61, "to_days": 90},
        {"label": "91-120", "from_days": 91, "to_days": 120},
        {"label": "121+", "from_days": 121, "to_days": None},
    ]
    assert [b["label"] for b in buckets((45,))] == ["Not due", "0-45", "46+"]


def test_ar_aging_page_csv_and_chart_read_the_buckets_by_position():
    report = REPORTS["ar-aging"]
    from reports.projections.ar_aging import buckets

    def figures(amounts):
        return {
            "invoices": 1,
            "outstanding": sum(amounts, Decimal(0)),
            "buckets": [{**b, "amount": a} for b, a in zip(buckets((30, 60)), amounts, strict=True)],
        }

    row = {
        "payer_id": 3,
        "payer_name": "Acme",
        **figures([Decimal("0"), Decimal("5.00"), Decimal("0"), Decimal("7.50")]),
    }
    answer = {"group_by": "payer", "buckets": buckets((30, 60)), "rows": [row], "totals": row}
    columns = report.columns(answer)
    assert [c.label for c in columns][-4:] == ["Not due", "0-30", "31-60", "61+"]
    assert [c.of(row) for c in columns][-4:] == [Decimal("0"), Decimal("5.00"), Decimal("0"), Decimal("7.50")]
    assert all(c.key.isidentifier() for c in columns)
    (chart,) = report.charts(answer)
    assert [d["label"] for d in chart["datasets"]] == ["Not due", "0-30", "31-60", "61+"]
    assert [d["data"] for d in chart["datasets"]] == [[0.0], [5.0], [0.0], [7.5]]
    totals = list(replace(report, stream_rows=None).csv_rows(answer, {}))[-1]
    assert totals["payer_name"] == "TOTAL" and totals["buckets"][3]["amount"] == Decimal("7.50")
