"""Is this process on its way out? Set when the server tells it to stop (gunicorn.conf.py wraps its worker's
SIGTERM handler), read by the readiness check: a load balancer stops sending before the process is gone."""

import threading

_stopping = threading.Event()


def begin_shutdown() -> None:
    _stopping.set()


def shutting_down() -> bool:
    return _stopping.is_set()


def reset() -> None:
    """Tests only."""
    _stopping.clear()
