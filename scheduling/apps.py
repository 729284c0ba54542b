from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        from core.schedules import schedules_after_migrate

        from .services import changes  # noqa: F401 (connects the change log's receivers)
        from .tasks import PERIODIC

        schedules_after_migrate(self, PERIODIC)
