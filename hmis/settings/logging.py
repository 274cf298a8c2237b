"""Logging: one JSON line per request, task and refresh, and every other record as JSON too (core/logs.py:
request id and trace id on each); LOG_FORMAT=plain for a person reading a terminal."""

from hmis.settings.env import env

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # Propagates to the root handler (so pytest's caplog sees it too).
        "hmis": {"level": LOG_LEVEL},
    },
}
