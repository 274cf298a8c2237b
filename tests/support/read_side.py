"""What tests read of the read side directly."""

from reports.engine import store


def redis_outstanding_cents() -> int | None:
    """Total outstanding in the AR summary in Redis (None: no summary)."""
    value = store.read_hash("ar_aging", "summary").get("all:outstanding")
    return None if value is None else int(value)
