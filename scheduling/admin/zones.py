"""Times in the back office in the zone they belong to, said beside the inputs.

The admin shows and reads date-times in the active zone, the server's unless told otherwise;
an event planned in another zone would then be shown in the server's, with Django's note that
the browser is "N hours behind server time". ``ZonedTimesAdmin`` activates the zone of the
object on the page (an event's own zone, a booking's site's) while the page is read and
rendered, and ``ZonedSplitDateTime`` says which zone that is.
"""

import datetime as dt

from django.contrib.admin.widgets import AdminSplitDateTime
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from ..timezones import zone_label


class ZonedSplitDateTime(AdminSplitDateTime):
    """The admin's date and time inputs, labelled, with the zone their times are in beside them.

    The note carries Django's "timezonewarning" class: the admin's DateTimeShortcuts adds its
    own "You are N hours behind server time" only where no such note is, and that one would
    compare the browser's zone with the server's, not with the zone these times are in.
    """

    template_name = "admin/widgets/zoned_split_datetime.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        zone = timezone.get_current_timezone()
        # The abbreviation in force at the time shown (BST in June, GMT in December); the
        # value comes as the form shows it, a naive time in that zone.
        moment = value.replace(tzinfo=zone) if isinstance(value, dt.datetime) else None
        context["zone_note"] = _("Times in %(zone)s") % {"zone": zone_label(str(zone), moment)}
        return context


# For an admin's or an inline's formfield_overrides.
ZONED_TIMES = {models.DateTimeField: {"widget": ZonedSplitDateTime}}


class ZonedTimesAdmin:
    """A ModelAdmin mixin: its page shows and reads date-times in the zone ``times_zone``
    names, and says so beside them. Its inlines take ``ZONED_TIMES`` too."""

    formfield_overrides = ZONED_TIMES

    def times_zone(self, request, object_id: str | None) -> str | None:
        """The IANA zone of the page's times; None for the server's."""
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with timezone.override(self.times_zone(request, object_id)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            # Rendered here, in the zone: the fields, and the offset the admin's "Now" uses.
            if hasattr(response, "render"):
                response.render()
            return response


def pk_or_none(value: str | None) -> int | None:
    """A primary key from a URL or a form, for times_zone; None for anything else."""
    return int(value) if value and value.isdigit() else None
