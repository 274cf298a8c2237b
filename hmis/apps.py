from django.apps import AppConfig


class HmisConfig(AppConfig):
    name = "hmis"
    verbose_name = "HMIS core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from hmis import roles
        from hmis.api import schema  # noqa: F401 (registers the API-key scheme with drf-spectacular)
        from hmis.audit import writes
        from hmis.middleware import stamp_session

        roles.connect()
        writes.connect()
        user_logged_in.connect(stamp_session, dispatch_uid="hmis.session.stamp")
