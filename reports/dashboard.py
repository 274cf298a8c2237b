"""The dashboard summary: the headline numbers of every projection in one Redis hash (one read when warm)."""

import json

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reports.engine import store
from reports.projections import DASHBOARD, REGISTRY
from reports.projections.ar_aging import bucket_names

OVER_90 = [name for name in bucket_names() if name.startswith(("91_", "121_"))]


def compose() -> dict[str, str]:
    """Headline numbers from the other projections' Redis summaries (integer cents for money)."""
    ar = store.read_hash("ar_aging", "summary")
    revenue = store.read_hash("revenue", "summary")
    stock = store.read_hash("pharmacy_stock", "summary")
    census = store.read_hash("census", "summary")
    top = store.read_top("diagnosis_trends", 5)
    descriptions = store.read_hash("diagnosis_trends", "descriptions")
    metas = [store.read_meta(name) for name in REGISTRY]
    fresh = [parse_datetime(m["fresh_as_of"]) for m in metas if m.get("fresh_as_of")]
    refreshed = [parse_datetime(m["refreshed_at"]) for m in metas if m.get("refreshed_at")]
    return {
        "today_invoiced": revenue.get("today:invoiced", "0"),
        "today_collected": revenue.get("today:collected", "0"),
        "month_invoiced": revenue.get("month:invoiced", "0"),
        "ar_outstanding": ar.get("all:outstanding", "0"),
        "ar_over_90": str(sum(int(ar.get(f"all:{name}", 0)) for name in OVER_90)),
        "open_encounters": census.get("open:total", "0"),
        "low_stock": stock.get("low_stock", "0"),
        "expiring_30": stock.get("expiring_30", "0"),
        "expired_batches": stock.get("expired", "0"),
        "top_diagnoses": json.dumps([{"code": c, "count": n, "description": descriptions.get(c, "")} for c, n in top]),
        # Complete only when every part is: the oldest part decides.
        "fresh_as_of": min(fresh).isoformat() if len(fresh) == len(REGISTRY) else "",
        "refreshed_at": max(refreshed).isoformat() if refreshed else "",
        "built_on": timezone.localdate().isoformat(),
    }


def rebuild() -> dict[str, str]:
    summary = compose()
    store.write(DASHBOARD, {"summary": summary}, {k: summary[k] for k in ("fresh_as_of", "refreshed_at", "built_on")})
    return summary
