from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The foundation. Its label stays "hmis": the outbox, audit, API-client and idempotency tables, their
    migrations and permissions (hmis.view_auditevent) keep the names they were created with."""

    name = "core"
    label = "hmis"
    verbose_name = "HMIS core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from core import audit, db_roles, metrics, tracing
        from core.api import schema  # noqa: F401 (registers the API-key scheme with drf-spectacular)
        from core.middleware import stamp_session
        from core.models import ApiClient

        audit.register(ApiClient, "auth.User", "auth.Group")
        user_logged_in.connect(stamp_session, dispatch_uid="hmis.session.stamp")
        post_migrate.connect(db_roles.after_migrate, sender=self, dispatch_uid="hmis.db_roles")
        connection_created.connect(metrics.install_query_timer, dispatch_uid="hmis.metrics.queries")
        tracing.configure()  # only when OTEL_TRACES_EXPORTER names an exporter
