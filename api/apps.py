from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Partner API")

    def ready(self) -> None:
        from core.schedules import schedules_after_migrate

        from . import schema  # noqa: F401 (registers the OpenAPI security scheme)
        from .tasks import PERIODIC

        schedules_after_migrate(self, PERIODIC)
