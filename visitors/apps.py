from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VisitorsConfig(AppConfig):
    name = "visitors"
    verbose_name = "Visitors"

    def ready(self) -> None:
        from .tasks import schedules_ensure_after_migrate

        # Periodic invite tasks (django-q2 Schedule rows) exist wherever the database is migrated.
        post_migrate.connect(schedules_ensure_after_migrate, dispatch_uid="visitors.schedules")
