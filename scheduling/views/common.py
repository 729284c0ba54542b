"""What the staff pages share: who may do what, times in a labelled zone, service refusals.

Every page needs a login; reading needs the "view" permission, any change its "change" (or
"add") permission, so that the Viewers group reads everything and changes nothing
(``scheduling.staff_groups``).
"""

import datetime as dt
import zoneinfo
from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

VIEW_EVENT = "scheduling.view_event"
CHANGE_EVENT = "scheduling.change_event"
ADD_EVENT = "scheduling.add_event"
ADD_BOOKING = "scheduling.add_booking"
CHANGE_BOOKING = "scheduling.change_booking"
VIEW_ATTENDANCE = "visitors.view_attendance"
CHANGE_ATTENDANCE = "visitors.change_attendance"


def staff_required(*perms: str) -> Callable:
    """Anonymous users go to the login page; a logged-in user without the permission gets 403."""

    def decorator(view: Callable) -> Callable:
        return login_required(permission_required(perms, raise_exception=True)(view))

    return decorator


def zone_label(zone_name: str, moment: dt.datetime | None = None) -> str:
    """'HKT, Asia/Hong_Kong': the abbreviation in force at that moment, and the IANA name."""
    zone = zoneinfo.ZoneInfo(zone_name)
    local = (moment or dt.datetime.now(dt.UTC)).astimezone(zone)
    abbreviation = local.tzname()
    if abbreviation and abbreviation != zone_name and abbreviation[0] not in "+-":
        return f"{abbreviation}, {zone_name}"
    return zone_name


def refusal_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal next to the field it names, or above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go back to after a POST: a local URL the form sent, or the fallback."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
