from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every app shares and no app owns: the audit stamp, the change log, the outbox, the
    admin's base classes, periodic schedules and process warm-up. It imports no other app."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from . import languages  # noqa: F401 (connects the login receiver)
        from .schedules import schedules_after_migrate
        from .tasks import PERIODIC
        from .warmup import task_worker_warm_up

        schedules_after_migrate(self, PERIODIC)

        # A task worker gets ready before its first task, not during it (core/warmup.py).
        post_spawn.connect(task_worker_warm_up, dispatch_uid="core.worker_warm_up")
