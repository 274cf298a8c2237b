"""The bed board: every ward's beds from the bed-board projection (its Redis summary when warm, else its
views where reads go), with each patient's count of active alerts when the reader may see them.

The polling endpoint sends the same answer as JSON text assembled from pieces each process keeps until
they change: the wards' JSON (until the summary is rewritten) and the alert counts (until the alerts
projection is refreshed, or for a minute, as alerts also expire with the clock).
"""

import datetime
import json
import zlib

from django.db import connections
from django.utils import timezone

from core.routing.router import read_alias
from reports.engine import store
from reports.projections.base import rows
from reports.projections.bed_board import board, queue_totals, totals
from reports.projections.patient_alerts import ALERTS
from reports.queries.common import from_redis, from_summary, from_view

COUNT_ALERTS = f"""
SELECT patient_id, count(DISTINCT (rule, subject)) AS alerts
FROM {ALERTS.name}
WHERE patient_id = ANY(%(patients)s) AND valid_from <= %(at)s AND (valid_until IS NULL OR valid_until > %(at)s)
GROUP BY patient_id
"""

_alert_counts: dict[tuple, dict[str, int]] = {}


def _parts(found: dict) -> dict:
    """The summary's wards (JSON texts, in board order) and totals."""
    texts = [text for _, text in sorted(found["board"].items())]
    summary = found["summary"]
    numeric = {k: (float(v) if k == "occupancy" else int(v)) for k, v in summary.items() if v != ""}
    return {"texts": texts, "wards": [json.loads(t) for t in texts], "totals": {"occupancy": None, **numeric}}


def _answer(ward_id: int | None) -> tuple[dict, list[str]]:
    """(answer without alerts, the wards as JSON texts)."""
    found = from_summary("bed_board", ("board", "summary"), _parts)
    if found:
        meta, parts = found
        texts, wards = parts["texts"], parts["wards"]
        if ward_id:
            kept = [i for i, w in enumerate(wards) if w["id"] == ward_id]
            texts, wards = [texts[i] for i in kept], [wards[i] for i in kept]
        answer = from_redis(meta, {"wards": wards, "totals": parts["totals"]})
        answer["version"] = meta.get("version", "")
        return answer, texts

    def query(cursor):
        wards = board(cursor, ward_id=ward_id)
        return {"wards": wards, "totals": totals(board(cursor) if ward_id else wards, queue_totals(cursor))}

    answer = from_view("bed_board", query)
    answer["version"] = f"view:{answer['refreshed_at']}"
    return answer, [json.dumps(w, separators=(",", ":")) for w in answer["wards"]]


def alert_counts(patient_ids: list[int], *, at: datetime.datetime | None = None) -> dict[str, int]:
    """{patient id (text): active alerts} for these patients, from the patient-alerts projection."""
    if not patient_ids:
        return {}
    at = at or timezone.now()
    try:
        version = store.read_meta("patient_alerts").get("version", "")
    except Exception:  # noqa: BLE001 (Redis down: count afresh)
        version = ""
    key = (version, at.replace(second=0, microsecond=0), tuple(patient_ids))
    if version and key in _alert_counts:
        return _alert_counts[key]
    with connections[read_alias()].cursor() as cursor:
        counts = {
            str(r["patient_id"]): int(r["alerts"])
            for r in rows(cursor, COUNT_ALERTS, {"patients": patient_ids, "at": at})
        }
    if version:
        _alert_counts.clear()  # one board's counts per process is all that is ever asked for
        _alert_counts[key] = counts
    return counts


def _patients(wards: list[dict]) -> list[int]:
    return sorted(bed["patient"] for ward in wards for bed in ward["beds"] if "patient" in bed)


def bed_board(*, ward_id: int | None = None, with_alerts: bool = True) -> dict:
    """{wards: [{id, code, name, sex_policy, counts, waiting, urgent, beds: [...]}], totals, alerts:
    {patient id: count} (when with_alerts), version, and where it came from and how fresh it is}."""
    answer, _texts = _answer(ward_id)
    answer["alerts"] = alerts = alert_counts(_patients(answer["wards"])) if with_alerts else None
    answer["version"] = _versioned(answer["version"], alerts)
    return answer


def _versioned(version: str, alerts: dict | None) -> str:
    """The board's version with its alert counts': what the page shows changes with either. A checksum,
    not hash(): the page may poll any worker process."""
    return version + (f"/{zlib.crc32(json.dumps(alerts, sort_keys=True).encode())}" if alerts else "")


def bed_board_json(
    *, ward_id: int | None = None, with_alerts: bool = True, since: str = "", brief: bool = False
) -> str:
    """The board as JSON text; just {"version", "unchanged": true, freshness} when `since` is the version
    the caller already has; `brief`: the version, totals and freshness without the wards (and so without
    naming any patient: the page polls this, and fetches its board again when the version moves)."""
    answer, texts = _answer(ward_id)
    alerts = alert_counts(_patients(answer["wards"])) if with_alerts else None
    version = _versioned(answer["version"], alerts)
    head = {k: answer[k] for k in ("source", "database", "refreshed_at", "fresh_as_of", "stale_seconds")}
    head["version"] = version
    if since and since == version:
        return json.dumps({**head, "unchanged": True})
    if brief:
        return json.dumps({**head, "totals": answer["totals"]})
    body = json.dumps({**head, "totals": answer["totals"], "alerts": alerts})
    return body[:-1] + ',"wards":[' + ",".join(texts) + "]}"
