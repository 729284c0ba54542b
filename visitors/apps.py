from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitorsConfig(AppConfig):
    name = "visitors"
    verbose_name = _("Visitors")

    def ready(self) -> None:
        from core.schedules import schedules_after_migrate
        from scheduling.signals import consent_requested, event_changed

        from . import changes  # noqa: F401 (connects the change log's receivers)
        from .consents import queue_consent_message
        from .invitations import follow_event_change
        from .tasks import PERIODIC

        # Attendees hear of the changes scheduling makes (scheduling does not import visitors).
        event_changed.connect(follow_event_change, dispatch_uid="visitors.follow_event_change")
        consent_requested.connect(queue_consent_message, dispatch_uid="visitors.consent_message")
        schedules_after_migrate(self, PERIODIC)
