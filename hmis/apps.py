from django.apps import AppConfig


class HmisConfig(AppConfig):
    name = "hmis"
    verbose_name = "HMIS core"

    def ready(self):
        from hmis import roles

        roles.connect()
