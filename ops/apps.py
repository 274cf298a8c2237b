from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health endpoints, system status, demo and hospital-scale data, management commands."""

    name = "ops"
