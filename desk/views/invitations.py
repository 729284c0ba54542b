"""The invitation console: what each attendee would receive, what changed, send, resend.

The preview is the real message: ``visitors.emails.delivery_message`` rendered for an unsaved
outbox row at the event's current SEQUENCE (the one ``invites_send`` would queue now), with the
calendar entry read back from the message's own text/calendar part. "What changed" compares the
event as it stood when this attendee's last invite was sent (its history) with the event now.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST
from icalendar import Calendar

from scheduling.facts import event_facts
from scheduling.models import Event, Site
from visitors.approvals import invites_approve
from visitors.emails import delivery_message
from visitors.invitations import invites_send
from visitors.models import Attendance, Delivery
from visitors.progress import send_progress
from visitors.sending import delivery_resend

from .common import (
    CHANGE_EVENT,
    VIEW_EVENT,
    bad_request,
    posted_id,
    posted_ids,
    refusal_text,
    staff_required,
    zone_label,
)
from .events import event_queryset

# The event fields an invite shows, compared with the version last sent.
COMPARED = ("title", "title_zh", "start", "end", "site_id", "timezone", "status", "description")


@dataclass
class Preview:
    """One attendee's message as it would go out now, or why none would."""

    attendance: Attendance
    error: str = ""
    to: str = ""
    subject: str = ""
    text: str = ""
    html: str = ""
    method: str = ""
    sequence: int | None = None
    summary: str = ""
    starts: str = ""
    ends: str = ""
    zone: str = ""
    venue: str = ""
    last_sent: Delivery | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)


@staff_required(VIEW_EVENT)
def invitations(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(event_queryset().select_related("proposed_by"), pk=pk)
    attendances = list(
        event.attendances.in_precedence_order().select_related("person", "proposed_by")
    )
    deliveries = list(
        Delivery.objects.filter(event=event).order_by("-sequence", "-created_at", "-id")
    )
    for attendance in attendances:
        mine = [d for d in deliveries if d.person_id == attendance.person_id]
        attendance.latest_delivery = mine[0] if mine else None
        attendance.failed = [d for d in mine if d.state == Delivery.State.FAILED]
    preview = None
    chosen = request.GET.get("attendee", "")
    chosen_attendance = next((a for a in attendances if str(a.pk) == chosen), None)
    if chosen_attendance is not None:
        preview = build_preview(event, chosen_attendance)
    # Rows for people no longer on the list (a CANCEL to someone removed) are shown too.
    on_list = {a.person_id for a in attendances}
    others = [d for d in deliveries if d.person_id not in on_list]
    context = {
        "event": event,
        "zone_label": zone_label(event.timezone, event.start),
        "attendances": attendances,
        "awaiting": [a for a in attendances if a.awaiting_approval],
        "declined": [a for a in attendances if a.rsvp == Attendance.RSVP.DECLINED],
        "progress": (progress := send_progress(event_id=event.pk)),
        "progress_text": progress_text(progress, event),
        "others": others,
        "preview": preview,
        "deliveries": deliveries,
    }
    with timezone.override(event.zone):
        return render(request, "staff/invitations.html", context)


def build_preview(event: Event, attendance: Attendance) -> Preview:
    preview = Preview(attendance=attendance)
    preview.last_sent = (
        Delivery.objects.filter(
            event=event,
            person_id=attendance.person_id,
            method=Delivery.Method.REQUEST,
            state=Delivery.State.SENT,
        )
        .order_by("-sequence", "-sent_at")
        .first()
    )
    if preview.last_sent is not None and preview.last_sent.sent_at is not None:
        preview.changes = changes_since(event, preview.last_sent)
    unsaved = Delivery(
        event=event,
        person=attendance.person,
        attendance=attendance,
        method=Delivery.Method.REQUEST,
        sequence=event.sequence,
        next_attempt_at=timezone.now(),
    )
    try:
        message = delivery_message(unsaved)
    except ValueError as error:
        preview.error = str(error)
        return preview
    preview.to = ", ".join(message.to)
    preview.subject = message.subject
    preview.text = message.body
    for content, mimetype in message.alternatives:
        if mimetype == "text/html":
            preview.html = content
        elif mimetype.startswith("text/calendar"):
            _read_calendar(preview, content, event)
    return preview


def _read_calendar(preview: Preview, ics: str, event: Event) -> None:
    """The calendar entry as a calendar program will show it: times in its own TZID."""
    calendar = Calendar.from_ical(ics)
    preview.method = str(calendar.get("METHOD", ""))
    vevent = next(iter(calendar.walk("VEVENT")))
    start, end = vevent["DTSTART"], vevent["DTEND"]
    preview.zone = start.params.get("TZID") or "UTC"
    preview.starts = _wall_clock(start.dt, "l j F Y, H:i")
    same_day = start.dt.date() == end.dt.date()
    preview.ends = _wall_clock(end.dt, "H:i" if same_day else "l j F Y, H:i")
    preview.summary = str(vevent.get("SUMMARY", ""))
    preview.venue = str(vevent.get("LOCATION", ""))
    preview.sequence = int(vevent.get("SEQUENCE", 0))


def _wall_clock(moment: dt.datetime, format_string: str) -> str:
    # As written in the file, in its own zone: not converted to the office's.
    return dateformat.format(moment.replace(tzinfo=None), format_string)


def changes_since(event: Event, sent: Delivery) -> list[tuple[str, str, str]]:
    """(what, then, now) for each invite detail that differs from the message last sent."""
    sent_at = sent.sent_at
    try:
        then = event.history.as_of(sent_at)
    except Event.DoesNotExist:
        return []
    sites = Site.objects.in_bulk({then.site_id, event.site_id})
    labels = {
        "title": _("Title"),
        "title_zh": _("Chinese title"),
        "start": _("Start"),
        "end": _("End"),
        "site_id": _("Site"),
        "timezone": _("Time zone"),
        "status": _("Status"),
        "description": _("Description"),
    }
    changes = []
    for name in COMPARED:
        old, new = getattr(then, name), getattr(event, name)
        if old == new:
            continue
        if name in ("start", "end"):
            old, new = _local(old, event), _local(new, event)
        elif name == "site_id":
            old, new = str(sites.get(old, old)), str(sites.get(new, new))
        elif name == "status":
            old, new = Event.Status(old).label, Event.Status(new).label
        changes.append((labels[name], str(old), str(new)))
    venue = event_facts(event).venue
    if sent.venue and sent.venue != venue:  # what the message said, against what it would say
        changes.append((_("Venue"), sent.venue, venue))
    return changes


def _local(moment: dt.datetime, event: Event) -> str:
    local = moment.astimezone(event.zone)
    return f"{dateformat.format(local, 'D j M Y, H:i')} ({zone_label(event.timezone, local)})"


@require_POST
@staff_required(CHANGE_EVENT)
def invitations_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue invites to everyone (and those who declined whom staff ticked:
    include_declined=<id>...), or to one attendee (attendance=<id>)."""
    event = get_object_or_404(Event, pk=pk)
    refusal = _("The attendee to invite must be given by its number.")
    try:
        chosen = posted_id(request, "attendance", refusal=refusal)
        declined = posted_ids(request, "include_declined", refusal=refusal)
    except ValidationError as error:
        return bad_request(request, error, back=reverse("staff:invitations", args=[event.pk]))
    try:
        queued = invites_send(
            event_id=event.pk,
            attendance_ids=None if chosen is None else [chosen],
            include_declined=declined,
            by=request.user,
        )
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    else:
        held = sum(row.state == Delivery.State.HELD for row in queued)
        if len(queued) > held:
            count = len(queued) - held
            messages.success(
                request,
                ngettext("%(count)d invite queued.", "%(count)d invites queued.", count)
                % {"count": count},
            )
        if held:
            messages.warning(
                request,
                ngettext(
                    "%(count)d invite waits for your approval below.",
                    "%(count)d invites wait for your approval below.",
                    held,
                )
                % {"count": held},
            )
        if not queued and chosen is None and event.attendances.declined().exists():
            messages.info(
                request,
                _(
                    "Nothing new to send: those who declined are left out unless you tick them. "
                    "Everyone else with an e-mail address has this version."
                ),
            )
        elif not queued:
            messages.info(
                request,
                _("Nothing new to send: everyone with an e-mail address has this version."),
            )
    return redirect("staff:invitations", pk=event.pk)


@require_POST
@staff_required(CHANGE_EVENT)
def invitations_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve what the office sends to the chosen attendees (all awaiting, if none chosen):
    a partner wrote the event or its programme, or added them."""
    event = get_object_or_404(Event, pk=pk)
    try:
        chosen = posted_ids(
            request, "attendance", refusal=_("The attendees must be given by their numbers.")
        )
    except ValidationError as error:
        return bad_request(request, error, back=reverse("staff:invitations", args=[event.pk]))
    released = invites_approve(event_id=event.pk, attendance_ids=chosen or None, by=request.user)
    count = len(released)
    messages.success(
        request,
        ngettext(
            "Approved. %(count)d message queued.", "Approved. %(count)d messages queued.", count
        )
        % {"count": count},
    )
    return redirect("staff:invitations", pk=event.pk)


@require_POST
@staff_required(CHANGE_EVENT)
def delivery_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("person"), pk=pk)
    try:
        delivery_resend(delivery_id=delivery.pk, by=request.user)
    except ValidationError as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request, _("The message to %(name)s is queued again.") % {"name": delivery.person}
        )
    return redirect(reverse("staff:invitations", args=[delivery.event_id]))


@staff_required(VIEW_EVENT)
def invitations_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """The console's progress line, polled while messages are on their way."""
    event = get_object_or_404(Event, pk=pk)
    progress = send_progress(event_id=event.pk)
    return JsonResponse({**progress.as_dict(), "text": progress_text(progress, event)})


def progress_text(progress, event: Event) -> str:
    """'6 of 8 sent, 1 failed; the rest by about 14:05.' in words staff read."""
    if not progress.total:
        return _("Nothing sent yet.")
    parts = [_("%(sent)d of %(total)d sent") % {"sent": progress.sent, "total": progress.total}]
    if progress.failed:
        parts.append(_("%(count)d failed") % {"count": progress.failed})
    text = pgettext("between parts of a line", ", ").join(parts)
    clause = pgettext("between clauses of a line", "; ")
    if progress.waiting and progress.finish:
        local = progress.finish.astimezone(event.zone)
        text += clause + _("the rest by about %(time)s") % {"time": local.strftime("%H:%M")}
    elif progress.waiting:
        text += clause + _("%(count)d on their way") % {"count": progress.waiting}
    if progress.held:
        text += clause + _("%(count)d awaiting approval") % {"count": progress.held}
    return pgettext("the end of a sentence", "%(sentence)s.") % {"sentence": text}
