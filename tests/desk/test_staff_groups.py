"""The two staff groups exist after migrate, with exactly their permissions."""

from django.contrib.auth.models import Group, Permission

from desk.staff_groups import PROTOCOL_OFFICERS, VIEWERS, staff_groups_sync


def codenames(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_staff_groups_exist_after_migrate(db):
    names = set(Group.objects.values_list("name", flat=True))

    assert {PROTOCOL_OFFICERS, VIEWERS} <= names


def test_protocol_officers_may_edit_scheduling_and_visitor_data(db):
    officers = Group.objects.get(name=PROTOCOL_OFFICERS)

    granted = codenames(officers)

    assert {
        "scheduling.add_event",
        "scheduling.change_event",
        "scheduling.change_booking",
        "scheduling.change_programmeitem",
        "visitors.add_attendance",
        "visitors.change_person",
        "scheduling.view_historicalevent",
    } <= granted
    everything = Permission.objects.filter(content_type__app_label__in=["scheduling", "visitors"])
    assert {f"{p.content_type.app_label}.{p.codename}" for p in everything} <= granted
    assert not any(code.startswith("auth.") for code in granted)  # they cannot manage users


def test_viewers_may_only_view(db):
    viewers = Group.objects.get(name=VIEWERS)

    granted = codenames(viewers)

    assert {"scheduling.view_event", "scheduling.view_booking", "visitors.view_person"} <= granted
    assert {"scheduling.view_historicalevent", "visitors.view_historicalattendance"} <= granted
    assert all(code.split(".")[1].startswith("view_") for code in granted)


def test_group_membership_decides_what_a_user_may_do(officer, viewer):
    assert officer.has_perm("scheduling.change_event")
    assert viewer.has_perm("scheduling.view_event")
    assert not viewer.has_perm("scheduling.change_event")
    assert not viewer.has_perm("visitors.add_attendance")


def test_staff_groups_sync_is_idempotent_and_repairs_permissions(db):
    officers = Group.objects.get(name=PROTOCOL_OFFICERS)
    before = codenames(officers)
    officers.permissions.clear()

    staff_groups_sync()
    staff_groups_sync()

    assert Group.objects.filter(name__in=[PROTOCOL_OFFICERS, VIEWERS]).count() == 2
    assert codenames(Group.objects.get(name=PROTOCOL_OFFICERS)) == before


def test_officers_plan_delegations_cars_and_passes_and_viewers_read_them(officer, viewer):
    models = ("delegation", "vehicle", "pass")
    actions = ("add", "change", "delete", "view")

    officers_may = {
        f"{action}_{model}"
        for model in models
        for action in actions
        if officer.has_perm(f"visitors.{action}_{model}")
    }
    viewers_may = {
        f"{action}_{model}"
        for model in models
        for action in actions
        if viewer.has_perm(f"visitors.{action}_{model}")
    }

    assert officers_may == {f"{action}_{model}" for model in models for action in actions}
    assert viewers_may == {f"view_{model}" for model in models}
