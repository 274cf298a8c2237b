from django.apps import AppConfig


class HmisConfig(AppConfig):
    name = "hmis"
    verbose_name = "HMIS core"

    def ready(self):
        from hmis import roles
        from hmis.api import schema  # noqa: F401 (registers the API-key scheme with drf-spectacular)

        roles.connect()
