"""The admin's "System" page: the last hour from Prometheus (lag per standby, projection staleness, outbox
backlog, request latency) drawn with the vendored Chart.js, and the detailed status as /healthz gives it to
operators. Prometheus is asked server-side (PROMETHEUS_URL): the browser talks to the app only (CSP)."""

import datetime
import json
import logging
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

log = logging.getLogger("hmis.ops")

# Who sees it: those who may read the audit trail (admins): it shows servers, positions and load.
PERMISSION = "hmis.view_auditevent"
WINDOW_SECONDS = 3600
STEP_SECONDS = 30
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    query: str
    label: str  # the series label to name each line by ("" for a single line)
    scale: float = 1.0


CHARTS = (
    Chart("lag", "Replica replay lag per standby (seconds)", "max by (alias) (hmis_replica_lag_seconds)", "alias"),
    Chart(
        "staleness",
        "Projection staleness, the eight stalest (seconds)",
        "topk(8, max by (projection) (hmis_projection_staleness_seconds))",
        "projection",
    ),
    Chart("backlog", "Outbox events not yet seen by a refresh", "sum(hmis_outbox_backlog_events)", ""),
    Chart(
        "latency",
        "Request latency p95 (milliseconds)",
        "histogram_quantile(0.95, sum by (le) (rate(hmis_http_request_duration_seconds_bucket[5m])))",
        "",
        scale=1000,
    ),
)


class PrometheusUnavailable(Exception):
    pass


def query_range(query: str, start: float, end: float, step: int) -> list[dict]:
    params = urllib.parse.urlencode({"query": query, "start": start, "end": end, "step": step})
    url = f"{settings.PROMETHEUS_URL}/api/v1/query_range?{params}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (the configured Prometheus)
            body = json.load(response)
    except (OSError, ValueError) as exc:
        raise PrometheusUnavailable(f"{settings.PROMETHEUS_URL}: {exc}") from exc
    if body.get("status") != "success":
        raise PrometheusUnavailable(str(body.get("error"))[:200])
    return body["data"]["result"]


def charts(now: float | None = None) -> list[dict]:
    """Chart specs for static/js/charts.js: one line per series, one point per step of the last hour."""
    end = round(now or time.time(), 3)  # the last point is now: the newest scrape is on the chart
    start = end - WINDOW_SECONDS
    steps = [round(start + i * STEP_SECONDS, 3) for i in range(WINDOW_SECONDS // STEP_SECONDS + 1)]
    zone = timezone.get_current_timezone()
    labels = [datetime.datetime.fromtimestamp(t, zone).strftime("%H:%M") for t in steps]
    specs = []
    for chart in CHARTS:
        datasets = []
        for index, series in enumerate(query_range(chart.query, start, end, STEP_SECONDS)):
            points = {round(float(t), 3): float(v) for t, v in series["values"]}
            data = [_finite(points.get(t), chart.scale) for t in steps]
            name = series["metric"].get(chart.label, "") if chart.label else chart.title.split(" (")[0]
            datasets.append({"label": name or "all", "data": data, "color": COLORS[index % len(COLORS)]})
        specs.append({"id": chart.id, "title": chart.title, "type": "line", "labels": labels, "datasets": datasets})
    return specs


def _finite(value: float | None, scale: float) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):  # NaN, +Inf: no point
        return None
    return round(value * scale, 3)
