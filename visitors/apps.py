from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VisitorsConfig(AppConfig):
    name = "visitors"
    verbose_name = "Visitors"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from .tasks import schedules_ensure_after_migrate

        # Periodic invite tasks (django-q2 Schedule rows) exist wherever the database is migrated.
        post_migrate.connect(schedules_ensure_after_migrate, dispatch_uid="visitors.schedules")
        # A task worker gets ready before its first task, not during it (config/warmup.py).
        post_spawn.connect(_worker_warm_up, dispatch_uid="visitors.worker_warm_up")


def _worker_warm_up(sender, proc_name: str, **kwargs) -> None:
    from config.warmup import process_warm_up

    process_warm_up()
