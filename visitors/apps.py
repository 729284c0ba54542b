from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VisitorsConfig(AppConfig):
    name = "visitors"
    verbose_name = "Visitors"

    def ready(self) -> None:
        from scheduling.signals import event_changed

        from . import changes  # noqa: F401 (connects the change log's receivers)
        from .invitations import follow_event_change
        from .tasks import schedules_ensure_after_migrate

        # Attendees hear of the changes scheduling makes (scheduling does not import visitors).
        event_changed.connect(follow_event_change, dispatch_uid="visitors.follow_event_change")

        # Periodic invite tasks (django-q2 Schedule rows) exist wherever the database is migrated.
        post_migrate.connect(schedules_ensure_after_migrate, dispatch_uid="visitors.schedules")
