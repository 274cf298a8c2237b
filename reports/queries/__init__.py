"""Report queries: the one read layer for pages and API. Reads projections only, never the raw tables.

Each answer says where it came from and how fresh it is:
- source: "redis" (summary) or "materialized_view"; `database` names the alias that served a view read
  (a caught-up standby when one is healthy);
- refreshed_at: when the last refresh took its snapshot; fresh_as_of: the latest moment the projection
  was known to hold every committed write; stale_seconds: now - fresh_as_of.
Redis is used when its summary is from today and was confirmed fresh recently; otherwise the view.
"""

from reports.queries.alerts import patient_alerts
from reports.queries.ar import ar_aging
from reports.queries.diagnoses import diagnosis_trends
from reports.queries.performance import performance_test
from reports.queries.population import population_health
from reports.queries.revenue import revenue
from reports.queries.scheduling import appointment_figures, queue_board
from reports.queries.stock import pharmacy_stock
from reports.queries.summaries import (
    dashboard,
    pharmacy_stock_summary,
    revenue_today_and_month,
    top_diagnoses,
)

__all__ = [
    "appointment_figures",
    "ar_aging",
    "dashboard",
    "diagnosis_trends",
    "patient_alerts",
    "performance_test",
    "pharmacy_stock",
    "pharmacy_stock_summary",
    "population_health",
    "queue_board",
    "revenue",
    "revenue_today_and_month",
    "top_diagnoses",
]
