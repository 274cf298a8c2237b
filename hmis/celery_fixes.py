"""Workarounds for a kombu 5.7 / Celery 5.7 bug with the Redis broker.

When the broker connection drops while tasks are in flight, the Redis transport, asked to ack a finished
task's message or to restore unacknowledged ones on a connection that is already gone, raises
AttributeError ('NoneType' object has no attribute 'hostname') instead of a connection error. Neither
kombu's ack_log_error nor Celery's reconnect path expects it, and the worker dies ("Unrecoverable error").
Seen in our broker-down tests. Treat it as the connection error it is: log it and carry on reconnecting;
an unacknowledged message is delivered again (our tasks are idempotent).
"""

import logging

from celery.worker.consumer.consumer import Consumer
from kombu.message import Message

log = logging.getLogger("hmis.celery")

_ack_log_error = Message.ack_log_error


def _ack_log_error_tolerating_a_lost_connection(self, logger, errors, multiple=False):
    try:
        return _ack_log_error(self, logger, errors, multiple=multiple)
    except AttributeError as exc:
        logger.critical("Couldn't ack %r, the broker connection is gone: %r", self.delivery_tag, exc)
        return None


_on_connection_error_after_connected = Consumer.on_connection_error_after_connected


def _reconnect_tolerating_a_lost_connection(self, exc):
    try:
        return _on_connection_error_after_connected(self, exc)
    except AttributeError as error:
        log.warning("broker connection lost while cleaning up (%r); reconnecting", error)
        return None


def install() -> None:
    Message.ack_log_error = _ack_log_error_tolerating_a_lost_connection
    Consumer.on_connection_error_after_connected = _reconnect_tolerating_a_lost_connection
