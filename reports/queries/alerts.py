"""Patient alerts: a patient's active alerts, their validity windows compared with the clock now."""

import datetime

from django.utils import timezone

from reports.projections.base import rows
from reports.projections.patient_alerts import ALERTS, GUIDELINES, SEVERITY_ORDER, TITLES
from reports.queries.common import from_view

ACTIVE_SQL = f"""
SELECT DISTINCT ON (rule, subject) rule, severity, subject, reason, valid_from, valid_until, prescription_id
FROM {ALERTS.name}
WHERE patient_id = %(patient)s AND valid_from <= %(at)s AND (valid_until IS NULL OR valid_until > %(at)s)
ORDER BY rule, subject, valid_from DESC, reason, alert_key
"""


def patient_alerts(*, patient_id: int, at: datetime.datetime | None = None) -> dict:
    """The alerts active at `at` (default now), most severe first; one per rule and subject (the latest).

    `as_of` is the moment the time windows were evaluated; `fresh_as_of` says how current the underlying
    projection is (a write newer than that may not be reflected yet).
    """
    at = at or timezone.now()

    def query(cursor):
        found = rows(cursor, ACTIVE_SQL, {"patient": patient_id, "at": at})
        for alert in found:
            alert["title"] = TITLES[alert["rule"]]
            alert["guideline"] = GUIDELINES.get(alert["rule"], "")
            alert["since"] = alert.pop("valid_from")
            alert["until"] = alert.pop("valid_until")
        found.sort(key=lambda a: (SEVERITY_ORDER.get(a["severity"], 9), list(TITLES).index(a["rule"]), a["subject"]))
        return {"alerts": found}

    return {"patient": patient_id, "as_of": at.isoformat(), **from_view("patient_alerts", query)}
