from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The office's workspace: the staff pages, the visit planner, warnings, the demo world and
    the staff groups. It builds on scheduling and visitors; neither imports it."""

    name = "desk"
    verbose_name = _("Protocol desk")

    def ready(self) -> None:
        from .staff_groups import sync_staff_groups_after_migrate

        # Groups reference permissions, which Django itself creates in post_migrate.
        post_migrate.connect(sync_staff_groups_after_migrate, dispatch_uid="desk.staff_groups")
