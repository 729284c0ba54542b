"""An event's lists for people who work in spreadsheets: the attendee list in the order of
precedence, the run-of-show, the caterers' summary, and the delegation's lists (kept in
visitors.delegations.exports). Each is a list of Sheets
(core.spreadsheets) that the staff pages and the API write as XLSX or CSV. Times are on the
event's clock; the attendee list's columns are the import's, so an exported list reads back in.

Staff only: the lists carry dietary and accessibility needs and the programme's cue notes.
"""

from collections import Counter
from collections.abc import Callable

from django.db.models import Prefetch
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core import spreadsheets
from core.spreadsheets import Sheet
from scheduling.models import Event, ProgrammeRole

from .delegations import exports as delegation_exports
from .models import Attendance
from .names import sorted_attendances

ATTENDEES, RUN_OF_SHOW, CATERING = "attendees", "run-of-show", "catering"


def _local(moment, event: Event):
    """A moment as the event's clock shows it, without a zone (spreadsheets have none)."""
    return spreadsheets.on_clock(moment, event.zone)


def _attendances(event: Event):
    # The one order of precedence (visitors.precedence), as the printed list.
    return event.attendances.in_precedence_order().select_related("person__organisation")


def _dietary(attendance: Attendance) -> str:
    """What they said for this event, else what is on file (as the printed list shows)."""
    return attendance.dietary or attendance.person.dietary


def _accessibility(attendance: Attendance) -> str:
    return attendance.accessibility or attendance.person.accessibility


def attendee_sheets(event: Event, *, sort: str = "precedence") -> list[Sheet]:
    """Everyone on the list, in order of precedence, or by English surname or Chinese strokes
    as the printed list can be (visitors.names)."""
    headers = [
        _("No."),
        _("Honorific"),
        _("Name"),
        _("Chinese name"),
        _("Post"),
        _("Organisation"),
        _("E-mail"),
        _("Role"),
        _("RSVP"),
        _("Guests"),
        _("Call time"),
        _("Dietary"),
        _("Accessibility"),
    ]
    rows = []
    listed = sorted_attendances(list(_attendances(event)), sort)  # an unknown sort: precedence
    for number, attendance in enumerate(listed, start=1):
        person = attendance.person
        rows.append(
            [
                number,
                person.honorific,
                person.name,
                person.name_zh,
                person.post,
                person.organisation.name if person.organisation else "",
                person.email,
                attendance.get_role_display(),
                attendance.get_rsvp_display(),
                attendance.guests,
                _local(attendance.call_time, event),
                _dietary(attendance),
                _accessibility(attendance),
            ]
        )
    return [Sheet(title=_("Attendees"), headers=headers, rows=rows)]


def run_of_show_sheets(event: Event) -> list[Sheet]:
    """The programme minute by minute, with who takes part and the staff's cues."""
    items = event.programme.select_related("facility", "host_organisation").prefetch_related(
        Prefetch("roles", queryset=ProgrammeRole.objects.select_related("person"))
    )
    headers = [
        _("Start"),
        _("End"),
        _("Minutes"),
        _("Kind"),
        _("Title"),
        _("Chinese title"),
        _("Facility"),
        _("Hosted by"),
        _("People"),
        _("Visibility"),
        _("Cue notes"),
    ]
    rows = [
        [
            _local(item.start, event),
            _local(item.end, event),
            int((item.end - item.start).total_seconds() // 60),
            item.get_kind_display(),
            item.title,
            item.title_zh,
            item.facility.name if item.facility else "",
            item.host_organisation.name if item.host_organisation else "",
            "; ".join(
                f"{role.person.display_name} ({role.get_part_display()})"
                for role in item.roles.all()
            ),
            item.get_visibility_display(),
            item.cue_notes,
        ]
        for item in items
    ]
    return [Sheet(title=_("Run-of-show"), headers=headers, rows=rows)]


def catering_sheets(event: Event) -> list[Sheet]:
    """For caterers: the expected attendees (those who declined left out) by dietary
    requirement, with their guests counted, and everyone with a dietary or access note."""
    expected = list(_attendances(event).expected())
    # A requirement, whatever its case or spacing: how it was written, its people and guests.
    groups: dict[str, list] = {}
    for attendance in expected:
        said = " ".join(_dietary(attendance).split())
        group = groups.setdefault(said.casefold(), [Counter(), 0, 0])
        group[0][said] += 1
        group[1] += 1
        group[2] += attendance.guests
    for group in groups.values():  # named as most wrote it, capitalised if it is a tie
        forms = group[0]
        group[0] = max(forms, key=lambda form: (forms[form], form[:1].isupper()))
    none = groups.pop("", None)
    summary = [[said, people, guests, people + guests] for said, people, guests in groups.values()]
    summary.sort(key=lambda row: (-row[3], row[0].casefold()))
    if none:
        summary.append([_("No dietary requirement"), none[1], none[2], none[1] + none[2]])
    people = sum(row[1] for row in summary)
    guests = sum(row[2] for row in summary)
    summary.append([_("Total"), people, guests, people + guests])
    noted = [
        attendance
        for attendance in expected
        if _dietary(attendance)
        or _accessibility(attendance)
        or attendance.person.interpreter_needed
    ]
    return [
        Sheet(
            title=_("Dietary summary"),
            headers=[_("Dietary requirement"), _("People"), _("Guests"), _("Total")],
            rows=summary,
        ),
        Sheet(
            title=_("People with notes"),
            headers=[
                _("No."),
                _("Name"),
                _("Chinese name"),
                _("Organisation"),
                _("Guests"),
                _("Dietary"),
                _("Accessibility"),
                _("Interpreter"),
            ],
            rows=[
                [
                    number,
                    attendance.person.english_name,
                    attendance.person.name_zh,
                    attendance.person.organisation.name if attendance.person.organisation else "",
                    attendance.guests,
                    _dietary(attendance),
                    _accessibility(attendance),
                    _("Yes") if attendance.person.interpreter_needed else "",
                ]
                for number, attendance in enumerate(noted, start=1)
            ],
        ),
    ]


EXPORTS: dict[str, Callable[[Event], list[Sheet]]] = {
    ATTENDEES: attendee_sheets,
    RUN_OF_SHOW: run_of_show_sheets,
    CATERING: catering_sheets,
    **delegation_exports.SHEETS,  # the manifest, the gate's vehicle list, the pass list
}


def export_filename(event: Event, table: str, file_format: str) -> str:
    """'opening-ceremony-2030-03-04-attendees.xlsx' (the event's own date)."""
    title = slugify(event.title)[:60].strip("-") or f"event-{event.pk}"
    return f"{title}-{event.local_start:%Y-%m-%d}-{table}.{file_format}"
