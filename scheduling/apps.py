from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from core.schedules import schedules_after_migrate

        from .services import changes  # noqa: F401 (connects the change log's receivers)
        from .tasks import PERIODIC

        schedules_after_migrate(self, PERIODIC)
