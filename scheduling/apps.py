from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from .services import changes  # noqa: F401 (connects the change log's receivers)
        from .staff_groups import sync_staff_groups_after_migrate
        from .tasks import schedules_ensure_after_migrate

        # Groups reference permissions, which Django itself creates in post_migrate.
        post_migrate.connect(
            sync_staff_groups_after_migrate, dispatch_uid="scheduling.staff_groups"
        )
        # Periodic tasks (django-q2 Schedule rows) exist wherever the database is migrated.
        post_migrate.connect(schedules_ensure_after_migrate, dispatch_uid="scheduling.schedules")
