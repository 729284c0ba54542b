"""Who may see which events: the one rule the API, feeds, webhooks and calendars share.

- public: anyone with a key (and public feeds);
- partners: any partner organisation's key;
- internal: staff only;
- restricted: staff, and keys of the event's host organisation (an unannounced visit).

A caller that may not see an event must not learn that it exists: lists leave it out, detail
lookups answer "not found", and availability shows its time as busy without a title.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

from django.db.models import Q


@dataclass(frozen=True)
class Audience:
    """Whoever is looking: staff, a partner organisation, or the public."""

    is_staff: bool = False
    organisation_id: int | None = None

    @property
    def is_partner(self) -> bool:
        return self.organisation_id is not None and not self.is_staff


STAFF = Audience(is_staff=True)
PUBLIC = Audience()


def partner(organisation_id: int) -> Audience:
    return Audience(organisation_id=organisation_id)


def event_filter(audience: Audience, prefix: str = "") -> Q:
    """A Q over Event (or over a relation to it, with prefix "event__") for what audience sees."""
    if audience.is_staff:
        return Q()
    visible = Q(**{f"{prefix}visibility": "public"})
    if audience.is_partner:
        visible |= Q(**{f"{prefix}visibility": "partners"})
        visible |= Q(
            **{
                f"{prefix}visibility": "restricted",
                f"{prefix}host_organisation_id": audience.organisation_id,
            }
        )
    return visible


def can_see_event(audience: Audience, event) -> bool:
    """The same rule for one event already in memory (availability titles, webhooks)."""
    if audience.is_staff or event.visibility == "public":
        return True
    if not audience.is_partner:
        return False
    if event.visibility == "partners":
        return True
    return (
        event.visibility == "restricted" and event.host_organisation_id == audience.organisation_id
    )


def sees_internal_programme(audience: Audience, event) -> bool:
    """Internal programme items (cues, transfers) go to staff and the host organisation only."""
    return audience.is_staff or (
        audience.is_partner and event.host_organisation_id == audience.organisation_id
    )


def sees_programme_item(audience: Audience, event, visibility: str) -> bool:
    """An item of `event` with this visibility: public ones to whoever sees the event, internal
    ones as sees_internal_programme says. programme_item_filter is the same rule for a query."""
    return visibility == "public" or sees_internal_programme(audience, event)


def programme_item_filter(audience: Audience, prefix: str = "") -> Q:
    """A Q over ProgrammeItem (or a relation to it) for the items audience sees of the events
    it sees: sees_programme_item's rule, for a query."""
    if audience.is_staff:
        return Q()
    visible = Q(**{f"{prefix}visibility": "public"})
    if audience.is_partner:
        visible |= Q(**{f"{prefix}event__host_organisation_id": audience.organisation_id})
    return visible


def sees_staff_details(audience: Audience, _obj=None) -> bool:
    """Notes, cues, phones, dietary and accessibility needs, capacity override reasons, and the
    person id behind a programme role: staff only."""
    return audience.is_staff


def sees_contact_details(audience: Audience, person) -> bool:
    """A person's e-mail address: staff, and a partner for its own organisation's people and
    the people it nominated itself. Phones and notes are for staff alone."""
    return audience.is_staff or (
        audience.is_partner
        and audience.organisation_id in (person.organisation_id, person.proposed_by_id)
    )


# Who could see something when the change log wrote a row about it: the event's visibility, its
# host organisation, and whether the object is an internal programme item.
ChangeState = tuple[str, int | None, bool]


def could_see_any(audience: Audience, states: Iterable[ChangeState]) -> bool:
    """Whether the audience could see the object in any of these states: the visibility rule
    (with internal items for those who see the event's internal programme), for the change
    log's rows, whose events may have changed or gone since."""
    for visibility, host, internal in states:
        event = SimpleNamespace(visibility=visibility, host_organisation_id=host)
        if can_see_event(audience, event) and (
            not internal or sees_internal_programme(audience, event)
        ):
            return True
    return False
