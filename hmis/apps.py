from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project itself: it registers the hospital's roles (hmis/roles.py) with core.roles."""

    name = "hmis"
    label = "hmis_project"
    verbose_name = "HMIS"

    def ready(self):
        from core import roles
        from hmis.roles import EXTRA, ROLES

        roles.register(ROLES, EXTRA)
