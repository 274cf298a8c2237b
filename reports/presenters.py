"""Shaping report answers for people: JSON-safe values (money as strings), drill-down links, chart specs."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

from reports.projections.ar_aging import bucket_label

PALETTE = ["#0b5cad", "#2e8540", "#e6a700", "#d9534f", "#7b3fa0", "#17a2b8", "#6c757d", "#fd7e14", "#20c997", "#343a40"]
BUCKET_COLOURS = ["#2e8540", "#8bc34a", "#e6a700", "#fd7e14", "#d9534f", "#8b0000", "#4a0000", "#240000", "#000000"]


def plain(value):
    """Decimals become strings (money is never a float), dates ISO strings; recursively."""
    kind = type(value)  # the common cases first, by exact type (an answer has hundreds of values)
    if kind is str or kind is int or value is None:
        return value
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def drill_links(answer: dict, params: dict) -> list[dict]:
    """AR aging rows with a link one level down: payer -> its patients -> their invoices."""
    rows = []
    for row in answer["rows"]:
        link = None
        if answer["group_by"] == "payer":
            link = {**params, "group_by": "patient", "payer": row["payer_id"]}
        elif answer["group_by"] == "patient":
            link = {**params, "group_by": "invoice", "patient": row["patient_id"]}
        rows.append(
            {**row, "_link": "?" + urlencode({k: v for k, v in link.items() if v not in (None, "")}) if link else None}
        )
    return rows


def _number(value) -> float | None:
    """A chart point: None leaves a gap (a month with nobody to count is not 0 %)."""
    return None if value is None else float(value)


def _label(row: dict) -> str:
    return str(row.get("payer_name") or row.get("patient_name") or row.get("number") or "Total")


def charts(slug: str, answer: dict) -> list[dict]:
    if slug == "ar-aging":
        shown = answer["rows"][:15] or [{"payer_name": "All", **answer["totals"]}]
        return [
            {
                "id": "buckets",
                "title": "Outstanding by age",
                "type": "bar",
                "stacked": True,
                "labels": [_label(r) for r in shown],
                "datasets": [
                    {"label": bucket_label(b), "data": [float(r[b]) for r in shown], "color": BUCKET_COLOURS[i]}
                    for i, b in enumerate(answer["buckets"])
                ],
            }
        ]
    if slug == "revenue":
        series = answer["series"]
        return [
            {
                "id": "over-time",
                "title": f"Per {answer['grain']}",
                "type": "line",
                "labels": [s["period"].isoformat() for s in series],
                "datasets": [
                    {"label": m.title(), "data": [float(s[m]) for s in series], "color": PALETTE[i]}
                    for i, m in enumerate(("invoiced", "collected", "credited"))
                ],
            },
            {
                "id": "by-dimension",
                "title": f"By {answer['dimension']}",
                "type": "bar",
                "labels": [r["name"] for r in answer["rows"][:15]],
                "datasets": [
                    {
                        "label": "Invoiced",
                        "data": [float(r["invoiced"]) for r in answer["rows"][:15]],
                        "color": PALETTE[0],
                    }
                ],
            },
        ]
    if slug == "diagnosis-trends":
        periods = sorted({s["period"] for s in answer["series"]})
        counts = {(s["period"], s["code"]): s["diagnoses"] for s in answer["series"]}
        return [
            {
                "id": "top-codes",
                "title": f"Top codes per {answer['period']}",
                "type": "line",
                "labels": [p.isoformat() for p in periods],
                "datasets": [
                    {
                        "label": r["code"],
                        "data": [counts.get((p, r["code"]), 0) for p in periods],
                        "color": PALETTE[i % 10],
                    }
                    for i, r in enumerate(answer["rows"])
                ],
            }
        ]
    if slug == "population-health":
        series = answer["series"]
        labels = [s["month"].isoformat()[:7] for s in series]
        rates = (
            ("diabetes_control_rate", "Diabetes controlled (HbA1c < 7 %)"),
            ("hypertension_control_rate", "Hypertension controlled (< 140/90)"),
            ("readmission_rate", "Readmitted within 30 days"),
        )
        return [
            {
                "id": "control",
                "title": "Per month, % of patients (" + (series[0]["department_name"] if series else "no data") + ")",
                "type": "line",
                "labels": labels,
                "datasets": [
                    {"label": label, "data": [_number(s[key]) for s in series], "color": PALETTE[i]}
                    for i, (key, label) in enumerate(rates)
                ],
            }
        ]
    if slug == "pharmacy-stock":
        windows = ["expired", "30", "60", "90"]  # disjoint: 0-30, 31-60, 61-90 days left
        counts = [sum(1 for b in answer["batches"] if b["window"] == w) for w in windows]
        return [
            {
                "id": "expiry",
                "title": "Batches with stock, by time to expiry",
                "type": "bar",
                "labels": ["Expired (on shelf)", "0-30 days", "31-60 days", "61-90 days"],
                "datasets": [{"label": "Batches", "data": counts, "color": PALETTE[3]}],
            }
        ]
    return []
