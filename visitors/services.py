"""Attendance writes: who comes to an event, in what role, and what they answered."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from core import changes as change_log
from core.audit import PARTS, kept, reason_with, stamp
from core.unset import UNSET, given
from scheduling import wording
from scheduling.models import Event, ProgrammeRole

from . import approvals, bulk, embargo, invitations
from .changes import attendance_changed
from .models import Attendance, Delivery, Organisation, Person

# What attendance_update changes (the admin's attendance rows save these).
ATTENDANCE_FIELDS = frozenset(
    {"role", "guests", "call_time", "notes", "order_override", "notify_on_arrival"}
)
# The history's reason for each answer (core.audit: read in the reader's language).
RSVP_GIVEN = {
    Attendance.RSVP.NEEDS_ACTION: pgettext_lazy("history reason", "RSVP needs_action"),
    Attendance.RSVP.ACCEPTED: pgettext_lazy("history reason", "RSVP accepted"),
    Attendance.RSVP.DECLINED: pgettext_lazy("history reason", "RSVP declined"),
    Attendance.RSVP.TENTATIVE: pgettext_lazy("history reason", "RSVP tentative"),
    Attendance.RSVP.DELEGATED: pgettext_lazy("history reason", "RSVP delegated"),
}


@transaction.atomic
def person_create(
    *,
    name: str = "",
    name_zh: str = "",
    honorific: str = "",
    post: str = "",
    post_nominals: str = "",
    organisation: Organisation | None = None,
    email: str = "",
    phone: str = "",
    precedence_rank: int | None = None,
    dietary: str = "",
    accessibility: str = "",
    languages: str = "",
    interpreter_needed: bool = False,
    notes: str = "",
    proposed_by_id: int | None = None,
) -> Person:
    """Create a validated person (an English or a Chinese name at least)."""
    person = Person(
        name=name,
        name_zh=name_zh,
        honorific=honorific,
        post=post,
        post_nominals=post_nominals,
        organisation=organisation,
        email=email,
        phone=phone,
        precedence_rank=precedence_rank,
        dietary=dietary,
        accessibility=accessibility,
        languages=languages,
        interpreter_needed=interpreter_needed,
        notes=notes,
        proposed_by_id=proposed_by_id,
    )
    person.full_clean()
    person.save()
    return person


@transaction.atomic
def organisation_create(
    *,
    name: str,
    slug: str,
    kind: str,
    name_zh: str = "",
    website: str = "",
    notes: str = "",
) -> Organisation:
    """Create a validated organisation."""
    organisation = Organisation(
        name=name, slug=slug, kind=kind, name_zh=name_zh, website=website, notes=notes
    )
    organisation.full_clean()
    organisation.save()
    return organisation


def _open_event(event_id: int) -> Event:
    # Lock the event so that the attendee list and the invites that follow from it are
    # changed by one request at a time.
    event = Event.objects.locked(event_id)
    event.refuse_if_final(closed=_("its list is closed"))
    return event


@transaction.atomic
def attendance_add(
    *,
    event_id: int,
    person_id: int,
    role: str = Attendance.Role.GUEST,
    guests: int = 0,
    call_time: dt.datetime | None = None,
    notes: str = "",
    order_override: int | None = None,
    by: AbstractBaseUser | None = None,
    partner_id: int | None = None,
    confirmed_embargo: bool = False,
    walk_in_reason: str = "",
    notify_on_arrival: bool | None = None,
) -> Attendance:
    """Add a person to an event once; adding them again is refused with a clear message.

    partner_id: the partner organisation whose API key adds them. Invites to someone a partner
    added, or to anyone on a partner's event unless a staff member adds them, wait for staff
    approval (the office's mailbox sends only what the office approved). The media on an
    event under embargo need confirmed_embargo from staff (visitors.embargo)."""
    event = _open_event(event_id)
    if Attendance.objects.filter(event=event, person_id=person_id).exists():
        raise ValidationError(
            {"person": _("This person is already on the attendee list.")}, code="duplicate"
        )
    media = embargo.media_confirm(
        event=event,
        entries=[(person_id, role)],
        by=by,
        partner_id=partner_id,
        confirmed=confirmed_embargo,
    )
    attendance = Attendance(
        event=event,
        person_id=person_id,
        role=role,
        guests=guests,
        call_time=call_time,
        notes=notes,
        order_override=order_override,
        proposed_by_id=partner_id,
        walk_in_reason=walk_in_reason,
        notify_on_arrival=notify_on_arrival,
    )
    approvals.approval_for_new(attendance, event=event, by=by, partner_id=partner_id)
    attendance.full_clean(validate_unique=False)
    added = pgettext_lazy("history reason", "Added to attendee list")
    stamp(attendance, by=by, reason=embargo.reason_confirmed(added) if media else added)
    try:
        with transaction.atomic():
            attendance.save()
    except IntegrityError:
        raise ValidationError(
            {"person": _("This person is already on the attendee list.")}, code="duplicate"
        ) from None
    # Invites already went out: the newcomer gets one too (after commit).
    invitations.invite_queue_for_attendance(attendance=attendance, by=by)
    attendance_changed(attendance=attendance)  # last: the change log's lock comes after all
    return attendance


@transaction.atomic
def attendances_add(
    *,
    event_id: int,
    person_ids: list[int],
    role: str = Attendance.Role.GUEST,
    by: AbstractBaseUser | None = None,
    confirmed_embargo: bool = False,
) -> tuple[list[Attendance], list[int]]:
    """Add several people at once, all or none, each as attendance_add does (invites follow);
    people already on the list are left as they are. Returns the attendances added and the ids
    of the people who were already on the list."""
    _open_event(event_id)  # one lock for the whole list
    on_list = set(
        Attendance.objects.filter(event_id=event_id, person_id__in=person_ids).values_list(
            "person_id", flat=True
        )
    )
    entries = [
        bulk.NewAttendance(person_id=person_id, role=role)
        for person_id in dict.fromkeys(person_ids)
        if person_id not in on_list
    ]
    # A delegation of any size in a few queries, by attendance_add's rules (visitors.bulk).
    added = []
    if entries:
        added = bulk.attendances_create(
            event_id=event_id, entries=entries, by=by, confirmed_embargo=confirmed_embargo
        )
    return added, [person_id for person_id in person_ids if person_id in on_list]


@transaction.atomic
def attendance_add_by_address(
    *,
    event_id: int,
    name: str,
    email: str,
    honorific: str = "",
    role: str = Attendance.Role.GUEST,
    guests: int = 0,
    call_time: dt.datetime | None = None,
    notes: str = "",
    by: AbstractBaseUser | None = None,
    confirmed_embargo: bool = False,
) -> Attendance:
    """Staff add someone by address: the person on file with it, or a new one."""
    _open_event(event_id)  # first: saving a person writes the change log, whose lock is last
    found = Person.objects.on_file().with_addresses([email]).first()
    if found is None:
        try:
            with transaction.atomic():  # a concurrent request may create them first
                found = person_create(name=name.strip(), email=email, honorific=honorific)
        except IntegrityError:
            found = Person.objects.on_file().with_addresses([email]).get()
    return attendance_add(
        event_id=event_id,
        person_id=found.pk,
        role=role,
        guests=guests,
        call_time=call_time,
        notes=notes,
        by=by,
        confirmed_embargo=confirmed_embargo,
    )


@transaction.atomic
def attendance_propose(
    *,
    event_id: int,
    partner_id: int,
    name: str,
    email: str,
    honorific: str = "",
    role: str = Attendance.Role.GUEST,
    guests: int = 0,
    call_time: dt.datetime | None = None,
) -> Attendance:
    """A partner puts someone on an event's list by name and address: a nomination in the
    partner's own name, never matched to people on file, so that the answer says nothing about
    who is on file. Staff merge it into the person it turns out to be (person_merge); invites
    to it wait for their approval."""
    _open_event(event_id)  # first: saving a person writes the change log, whose lock is last
    nominee = _nominee(partner_id=partner_id, name=name.strip(), email=email, honorific=honorific)
    return attendance_add(
        event_id=event_id,
        person_id=nominee.pk,
        role=role,
        guests=guests,
        call_time=call_time,
        partner_id=partner_id,
    )


def _nominee(*, partner_id: int, name: str, email: str, honorific: str) -> Person:
    """The partner's nomination with this address, as it last wrote it (created if new)."""
    # Lock it: two requests of one partner must not both rename it or both create it.
    nominee = (
        Person.objects.select_for_update()
        .filter(proposed_by_id=partner_id)
        .with_addresses([email])
        .first()
    )
    if nominee is None:
        try:
            with transaction.atomic():
                return person_create(
                    name=name, email=email, honorific=honorific, proposed_by_id=partner_id
                )
        except IntegrityError:
            nominee = (
                Person.objects.select_for_update()
                .filter(proposed_by_id=partner_id)
                .with_addresses([email])
                .get()
            )
    if (nominee.name, nominee.email, nominee.honorific) != (name, email, honorific):
        nominee.name, nominee.email, nominee.honorific = name, email, honorific
        nominee.full_clean()
        nominee.save(update_fields=["name", "email", "honorific"])
    return nominee


def person_matches_on_file(*, person_id: int) -> "models.QuerySet[Person]":
    """People on file a partner's nomination may be: the same address, for staff to decide."""
    nominee = Person.objects.get(pk=person_id)
    if nominee.proposed_by_id is None or not nominee.email:
        return Person.objects.none()
    return Person.objects.on_file().with_addresses([nominee.email])


@transaction.atomic
def person_merge(*, nominee_id: int, into_id: int, by: AbstractBaseUser | None = None) -> Person:
    """Staff decide that a partner's nomination is a person on file: its places on attendee
    lists and its messages move to that person, and the nomination is deleted."""
    # Lock both: a concurrent add must not put either on a list meanwhile.
    people = {
        p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[nominee_id, into_id])
    }
    nominee, into = people.get(nominee_id), people.get(into_id)
    if nominee is None or nominee.proposed_by_id is None:
        raise ValidationError({"nominee": _("Choose a partner's nomination.")}, code="not_nominee")
    if into is None or into.proposed_by_id is not None:
        raise ValidationError({"into": _("Choose a person on file.")}, code="not_on_file")
    both = Event.objects.filter(attendances__person=nominee).filter(attendances__person=into)
    if both.exists():
        raise ValidationError(
            {
                "into": _("Both are on the list of “%(event)s”: take one of them off first.")
                % {"event": both.first()}
            },
            code="both_listed",
        )
    with change_log.deferred():  # the log's lock after every row lock below
        moved = list(Attendance.objects.select_for_update().filter(person=nominee))
        for attendance in moved:
            attendance.person = into
            stamp(
                attendance,
                by=by,
                reason=reason_with(pgettext_lazy("history reason", "Nomination merged into"), into),
            )
            attendance.save(update_fields=["person", "updated_at"])
            attendance_changed(attendance=attendance)
        try:
            with transaction.atomic():
                Delivery.objects.filter(person=nominee).update(person=into)
                ProgrammeRole.objects.filter(person=nominee).update(person=into)
        except IntegrityError:
            raise ValidationError(
                {"into": _("Both have a part in the same programme item: remove one first.")},
                code="both_listed",
            ) from None
        nominee.delete()
    return into


@transaction.atomic
def attendance_update(
    *,
    attendance_id: int,
    role: str = UNSET,
    guests: int = UNSET,
    call_time: dt.datetime | None = UNSET,
    notes: str = UNSET,
    order_override: int | None = UNSET,
    notify_on_arrival: bool | None = UNSET,
    by: AbstractBaseUser | None = None,
    confirmed_embargo: bool = False,
) -> Attendance:
    """Change the role, guests, call time, notes, place in the event's order or whether the hosts
    hear of the arrival, as given, of one attendance. A new place changes no invite (the order
    is not in one) but is kept in the history with its reason and in the change log, as every
    other update. Making someone the media on an event under embargo needs confirmed_embargo
    from staff (visitors.embargo)."""
    changes = given(
        role=role,
        guests=guests,
        call_time=call_time,
        notes=notes,
        order_override=order_override,
        notify_on_arrival=notify_on_arrival,
    )
    # The event first, then the row: the order event_reschedule takes them in (call times).
    of_event = Attendance.objects.filter(pk=attendance_id).values_list("event_id", flat=True)
    if (event_id := of_event.first()) is not None:
        Event.objects.locked(event_id)
    attendance = _locked_attendance(attendance_id)
    before = Attendance(role=attendance.role, call_time=attendance.call_time)
    role_now = changes.get("role", before.role)
    media = embargo.role_confirm(attendance, role=role_now, by=by, confirmed=confirmed_embargo)
    for name, value in changes.items():
        setattr(attendance, name, value)
    attendance.full_clean()
    reason = _update_reason(changes)
    stamp(attendance, by=by, reason=embargo.reason_confirmed(reason) if media else reason)
    attendance.save()
    # Their invite starts at their call time and names their role: they alone get an update.
    summary: wording.Said = {}
    if attendance.call_time != before.call_time:
        zone = attendance.event.zone
        summary = wording.call_time_changed(before.call_time, attendance.call_time, zone)
    if attendance.role != before.role:
        # The labels lazily: each language reads its own.
        roles = (Attendance.Role(before.role).label, Attendance.Role(attendance.role).label)
        summary = wording.joined(summary, wording.role_changed(*roles))
    if summary:
        invitations.invite_update_for_attendance(attendance=attendance, summary=summary, by=by)
    attendance_changed(attendance=attendance)
    return attendance


def _update_reason(changes: dict) -> str:
    """The history's reason for an update: the fields changed, and a new place said in words."""
    parts = []
    fields = sorted(name for name in changes if name != "order_override")
    if fields:
        parts.append(reason_with(pgettext_lazy("history reason", "Updated"), ", ".join(fields)))
    if "order_override" in changes:
        place = changes["order_override"]
        parts.append(
            pgettext_lazy("history reason", "Order of precedence: usual rules")
            if place is None
            else reason_with(
                pgettext_lazy("history reason", "Placed in the order of precedence"), place
            )
        )
    return PARTS.join(kept(part) for part in parts) or kept(
        pgettext_lazy("history reason", "Updated")
    )


@transaction.atomic
def attendance_remove(
    *, attendance_id: int, by: AbstractBaseUser | None = None, reason: str = ""
) -> None:
    """Take a person off an event's list (the audit trail keeps who did it)."""
    attendance = _locked_attendance(attendance_id)
    _open_event(attendance.event_id)
    # Whoever may have the invite gets a CANCEL, to them alone (after commit).
    invitations.invite_cancel_for_attendance(attendance=attendance, by=by)
    stamp(
        attendance,
        by=by,
        reason=reason or pgettext_lazy("history reason", "Removed from attendee list"),
    )
    attendance.delete()


@transaction.atomic
def rsvp_record(
    *,
    attendance_id: int,
    answer: str,
    guests: int | None = None,
    dietary: str | None = None,
    accessibility: str | None = None,
    by: AbstractBaseUser | None = None,
    at: dt.datetime | None = None,
) -> Attendance:
    """Record an attendee's answer; the latest answer wins; a cancelled event takes none."""
    if answer not in Attendance.RSVP.values:
        raise ValidationError(
            {"rsvp": _("Unknown answer %(answer)s.") % {"answer": repr(answer)}},
            code="invalid_rsvp",
        )
    attendance = _locked_attendance(attendance_id)
    if attendance.event.status == Event.Status.CANCELLED:
        raise ValidationError(
            {"rsvp": _("The event is cancelled; it takes no answers.")}, code="event_cancelled"
        )
    attendance.rsvp = answer
    attendance.rsvp_at = at or timezone.now()
    if guests is not None:
        attendance.guests = guests
    if dietary is not None:
        attendance.dietary = dietary.strip()
    if accessibility is not None:
        attendance.accessibility = accessibility.strip()
    attendance.full_clean()
    stamp(attendance, by=by, reason=RSVP_GIVEN[answer])
    attendance.save()
    attendance_changed(attendance=attendance)
    return attendance


@transaction.atomic
def rsvp_links_revoke(*, attendance_id: int, by: AbstractBaseUser | None = None) -> Attendance:
    """Make every RSVP link sent so far for this attendance unusable (new links still work)."""
    attendance = _locked_attendance(attendance_id)
    attendance.rsvp_token_version += 1
    stamp(attendance, by=by, reason=pgettext_lazy("history reason", "RSVP links revoked"))
    attendance.save(update_fields=["rsvp_token_version", "updated_at"])
    return attendance


def _locked_attendance(attendance_id: int) -> Attendance:
    try:
        return (
            Attendance.objects.select_for_update(of=("self",))
            .select_related("event", "person")
            .get(pk=attendance_id)
        )
    except Attendance.DoesNotExist:
        raise ValidationError({"attendance": _("No such attendance.")}, code="not_found") from None
