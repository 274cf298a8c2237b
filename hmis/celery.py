"""The Celery app: Redis broker, settings from Django's (CELERY_*), tasks routed like requests."""

import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, before_task_publish

from core import logs, metrics
from hmis import celery_fixes

celery_fixes.install()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hmis.settings.base")

app = Celery("hmis", task_cls="core.routing.tasks:RoutedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["ops", "core.audit", "core.api"])
app.autodiscover_tasks()
metrics.connect_celery()


@before_task_publish.connect(weak=False)
def _carry_read_your_writes_position(headers=None, **kwargs):
    from core.routing.tasks import add_lsn_header

    add_lsn_header(headers=headers)
    logs.add_request_header(headers=headers)


@after_setup_logger.connect(weak=False)
@after_setup_task_logger.connect(weak=False)
def _json_logs(logger=None, **kwargs):
    from django.conf import settings

    if settings.LOG_FORMAT == "json":
        logs.json_celery_handlers(logger=logger)
