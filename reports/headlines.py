"""The dashboard's headline numbers each user may see, by the report permission each number needs."""

from reports import queries
from reports.catalog.base import CLINICAL, FINANCIAL

DASHBOARD_FIELDS = {
    FINANCIAL: ("today_invoiced", "today_collected", "month_invoiced", "ar_outstanding", "ar_over_90"),
    CLINICAL: (
        "open_encounters",
        "low_stock",
        "expiring_30",
        "expired_batches",
        "top_diagnoses",
        "beds_occupied",
        "beds_in_service",
        "admission_queue",
        "midnight_census",
        "appointments_today",
        "no_shows_today",
        "average_wait_today",
        "queue_waiting",
    ),
}


def dashboard_for(user) -> dict | None:
    """The dashboard with only the numbers this user's roles allow (None when they allow none)."""
    allowed = [perm for perm in DASHBOARD_FIELDS if user.has_perm(perm)]
    if not allowed:
        return None
    hidden = {field for perm, fields in DASHBOARD_FIELDS.items() if perm not in allowed for field in fields}
    return {key: value for key, value in queries.dashboard().items() if key not in hidden}
