from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Partner API"

    def ready(self) -> None:
        from . import schema  # noqa: F401 (registers the OpenAPI security scheme)
        from .tasks import schedules_ensure_after_migrate

        # Pruning runs wherever the database is migrated (a django-q2 Schedule row).
        post_migrate.connect(schedules_ensure_after_migrate, dispatch_uid="api.schedules")
