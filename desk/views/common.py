"""What the staff pages share: who may do what, times in a labelled zone, service refusals,
and reading the query string and posted ids.

Every page needs a login; reading needs the "view" permission, any change its "change" (or
"add") permission, so that the Viewers group reads everything and changes nothing
(``desk.staff_groups``). Input a page cannot use (a date outside the supported years, an
id that is not a number) gets a 400 page that says why.
"""

import datetime as dt
from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from scheduling.timezones import zone_label  # noqa: F401 (the views' import of it)

from ..forms import MAX_ID, validate_supported_year

VIEW_EVENT = "scheduling.view_event"
CHANGE_EVENT = "scheduling.change_event"
ADD_EVENT = "scheduling.add_event"
ADD_BOOKING = "scheduling.add_booking"
CHANGE_BOOKING = "scheduling.change_booking"
VIEW_ATTENDANCE = "visitors.view_attendance"
CHANGE_ATTENDANCE = "visitors.change_attendance"
VIEW_DELEGATION = "visitors.view_delegation"


def staff_required(*perms: str) -> Callable:
    """Anonymous users go to the login page; a logged-in user without the permission gets 403."""

    def decorator(view: Callable) -> Callable:
        return login_required(permission_required(perms, raise_exception=True)(view))

    return decorator


def refusal_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def refused(subject, error: ValidationError) -> str:
    """'Hall 1: The facility is already booked…': a refusal and what it is about."""
    return _("%(label)s: %(message)s") % {"label": subject, "message": refusal_text(error)}


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal next to the field it names, or above the form otherwise."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go back to after a POST: a local path the form sent, or the fallback."""
    target = request.POST.get("next", "")
    # A path, not a relative reference such as "0", which redirect() would take for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def query_day(
    request: HttpRequest, name: str = "date", params: QueryDict | None = None
) -> dt.date | None:
    """The ISO date in the query string (or params: a form from the page), or None if there is
    none (the page then shows today); text that is no date, or a date outside the supported
    years, raises ValidationError."""
    raw = (request.GET if params is None else params).get(name) or ""
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw) if raw.isascii() else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationError(_("Give the date as YYYY-MM-DD."), code="invalid_date")
    validate_supported_year(day)
    return day


def posted_id(request: HttpRequest, name: str, *, refusal: str) -> int | None:
    """The row id posted as ``name``, or None if none was; anything but the digits of a
    number a primary key can hold raises ValidationError with the refusal."""
    value = request.POST.get(name, "")
    if not value:
        return None
    return row_id(value, refusal)


def posted_ids(request: HttpRequest, name: str, *, refusal: str) -> list[int]:
    """Every row id posted as ``name`` (checkboxes), by posted_id's rule."""
    return [row_id(value, refusal) for value in request.POST.getlist(name) if value]


def row_id(value: str, refusal: str) -> int:
    """A row id from text: its ASCII digits, up to what a primary key holds; anything else
    raises ValidationError with the refusal."""
    # Not int(value) alone: it also reads "-1", " 1", "1_0" and non-ASCII digits ("١"), refuses
    # thousands of digits with ValueError, and a number past 64 bits makes SQLite raise instead
    # of matching nothing.
    digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ID))
    if not digits or int(value) > MAX_ID:
        raise ValidationError(refusal, code="invalid_id")
    return int(value)


def bad_request(request: HttpRequest, error: ValidationError, *, back: str) -> HttpResponse:
    """The 400 page: what was wrong with the request, and a way back."""
    context = {"message": refusal_text(error), "back": back}
    return render(request, "staff/bad_request.html", context, status=400)
