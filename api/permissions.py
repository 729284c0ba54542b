"""Who may call what: a usable key, the scope an action needs, staff-only endpoints, and the
host organisation's ownership of what a partner key changes.

Visibility itself (what a key may see at all) lives in each view's ``visible_queryset``, built
on scheduling.visibility; an object outside it is "not found".
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, permissions

from .models import ApiKey


class KeyRequired(permissions.BasePermission):
    """A usable API key (authentication has already refused bad ones with 401)."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class ScopeRequired(permissions.BasePermission):
    """The key holds the scope the view names for this action (``view.scopes``); a staff key's
    user also holds the Django permission named in ``view.staff_perms`` (viewers read only)."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        action = getattr(view, "action", None) or request.method.lower()
        scope = view.scopes.get(action)
        if scope is None:
            return True
        if scope not in key.scope_set:
            self.message = _("This key lacks the scope %(scope)s.") % {"scope": scope}
            return False
        perm = getattr(view, "staff_perms", {}).get(action)
        if key.is_staff_key and perm and not key.user.has_perm(perm):
            self.message = _("The staff user of this key may not make this change.")
            return False
        return True


class StaffKeyOnly(permissions.BasePermission):
    """Endpoints about people and organisations: partner keys are told they do not exist."""

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey) and not request.auth.is_staff_key:
            raise exceptions.NotFound()
        return True


class HostOrganisationWrites(permissions.BasePermission):
    """A partner key changes only events its organisation hosts (and their parts). Reads are
    scoped by visibility, not here. ``view.event_of(obj)`` names the event behind an object."""

    message = gettext_lazy("Only keys of the event's host organisation may change it.")

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        key = request.auth
        if key.is_staff_key:
            return True
        return view.event_of(obj).host_organisation_id == key.organisation_id


class StaffKeyForActions(permissions.BasePermission):
    """Actions named in ``view.staff_only_actions`` (recording someone's RSVP) are for staff
    keys. Checked on the object, so that a partner first learns only what it may see (404)."""

    message = gettext_lazy("Staff keys only.")

    def has_object_permission(self, request, view, obj) -> bool:
        return view.action not in getattr(view, "staff_only_actions", ()) or (
            request.auth.is_staff_key
        )
