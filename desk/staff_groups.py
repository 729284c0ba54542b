"""The two staff groups every installation has: protocol officers edit, viewers only read."""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

PROTOCOL_OFFICERS = "Protocol officers"
VIEWERS = "Viewers"

# Apps whose data protocol staff work with in the back office.
STAFF_APPS = ("scheduling", "visitors")
# Apps staff may look at (task results, for example) but not change.
READ_ONLY_APPS = ("django_q",)


@transaction.atomic
def staff_groups_sync() -> tuple[Group, Group]:
    """Create both groups if missing and give them exactly their permissions (idempotent)."""
    officers, _ = Group.objects.get_or_create(name=PROTOCOL_OFFICERS)
    viewers, _ = Group.objects.get_or_create(name=VIEWERS)
    staff_perms = Permission.objects.filter(content_type__app_label__in=STAFF_APPS)
    view_perms = Permission.objects.filter(
        content_type__app_label__in=STAFF_APPS + READ_ONLY_APPS, codename__startswith="view_"
    )
    officers.permissions.set(staff_perms | view_perms)
    viewers.permissions.set(view_perms)
    return officers, viewers


def sync_staff_groups_after_migrate(sender, using="default", plan=None, **kwargs) -> None:
    # Each app's permissions are created by its own post_migrate: sync after each of them, so
    # the last run (whichever app migrates last) sees every permission.
    if sender.name not in STAFF_APPS + READ_ONLY_APPS:
        return
    if not global_apps.is_installed("django.contrib.auth"):
        return
    staff_groups_sync()
