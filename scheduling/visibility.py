"""Who may see which events: the one rule the API, feeds, webhooks and calendars share.

- public: anyone with a key (and public feeds);
- partners: any partner organisation's key;
- internal: staff only;
- restricted: staff, keys of the event's host organisation, and keys of every organisation
  hosting one of its programme items (the tenants a multi-stop visit stops at: "stop hosts").
  Nobody else: an unannounced visit.

An event's programme: public items go to whoever sees the event. Internal items (cues,
transfers, a tenant's own arrangements) go to staff, the event's host organisation, and the
organisation hosting that item: each tenant sees the visit and its own stop, not the other
tenants' internal arrangements.

A caller that may not see an event must not learn that it exists: lists leave it out, detail
lookups answer "not found", and availability shows its time as busy without a title.
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef, Q

from core.changes import ids_of, lists_id

from .models import Event, ProgrammeItem

RESTRICTED = Event.Visibility.RESTRICTED


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
    """A Q over Event (or over a relation to it, with prefix "event__") for what audience sees.

    A stop host is found by an EXISTS over the programme's host index, asked only of the
    restricted events the organisation does not host itself."""
    if audience.is_staff:
        return Q()
    visible = Q(**{f"{prefix}visibility": "public"})
    if audience.is_partner:
        org = audience.organisation_id
        hosts_a_stop = ProgrammeItem.objects.filter(
            event_id=OuterRef(f"{prefix}pk"), host_organisation_id=org
        )
        visible |= Q(**{f"{prefix}visibility": "partners"})
        visible |= Q(**{f"{prefix}visibility": RESTRICTED}) & (
            Q(**{f"{prefix}host_organisation_id": org}) | Exists(hosts_a_stop)
        )
    return visible


def stop_hosts_of(event_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """The organisations hosting programme items of each event (one query), sorted; events
    without any are left out."""
    found: dict[int, set[int]] = {}
    rows = ProgrammeItem.objects.filter(
        event_id__in=list(event_ids), host_organisation_id__isnull=False
    ).values_list("event_id", "host_organisation_id")
    for event_id, host in rows.order_by().distinct():
        found.setdefault(event_id, set()).add(host)
    return {event_id: tuple(sorted(hosts)) for event_id, hosts in found.items()}


def _sees(
    audience: Audience, visibility: str, host: int | None, hosts_a_stop: Callable[[int], bool]
) -> bool:
    if audience.is_staff or visibility == "public":
        return True
    if not audience.is_partner:
        return False
    org = audience.organisation_id
    if visibility == "partners":
        return True
    return visibility == RESTRICTED and (host == org or hosts_a_stop(org))


def can_see_event(audience: Audience, event, *, stop_hosts: Collection[int] | None = None) -> bool:
    """The same rule for one event already in memory. The stop hosts of a restricted event
    the audience does not host are read (one query) unless given: for many events, use
    event_test."""

    def hosts_a_stop(org: int) -> bool:
        hosts = stop_hosts_of([event.pk]).get(event.pk, ()) if stop_hosts is None else stop_hosts
        return org in hosts

    return _sees(audience, event.visibility, event.host_organisation_id, hosts_a_stop)


def event_test(audience: Audience) -> Callable[[Any], bool]:
    """can_see_event for many events in memory (availability, a clash's occupants) at the cost
    of one query at most: the restricted events whose stops the audience's organisation hosts
    are read when the first event that needs them comes."""
    hosted: set[int] = set()
    read = False

    def test(event) -> bool:
        def hosts_a_stop(org: int) -> bool:
            nonlocal read
            if not read:
                hosted.update(
                    ProgrammeItem.objects.filter(
                        host_organisation_id=org, event__visibility=RESTRICTED
                    )
                    .order_by()
                    .values_list("event_id", flat=True)
                )
                read = True
            return event.pk in hosted

        return _sees(audience, event.visibility, event.host_organisation_id, hosts_a_stop)

    return test


def sees_internal_programme(audience: Audience, event) -> bool:
    """Every internal programme item (cues, transfers, each stop's arrangements): staff and
    the event's host organisation. A stop host sees its own items only (sees_programme_item)."""
    return audience.is_staff or (
        audience.is_partner and event.host_organisation_id == audience.organisation_id
    )


def sees_programme_item(
    audience: Audience, event, visibility: str, *, item_host_id: int | None = None
) -> bool:
    """An item of `event` with this visibility and host organisation: public ones to whoever
    sees the event; internal ones to those who see the whole internal programme and to the
    item's own host. programme_item_filter is the same rule for a query."""
    return (
        visibility == "public"
        or sees_internal_programme(audience, event)
        or (audience.is_partner and item_host_id == audience.organisation_id)
    )


def programme_item_filter(audience: Audience, prefix: str = "") -> Q:
    """A Q over ProgrammeItem (or a relation to it) for the items audience sees of the events
    it sees: sees_programme_item's rule, for a query."""
    if audience.is_staff:
        return Q()
    visible = Q(**{f"{prefix}visibility": "public"})
    if audience.is_partner:
        visible |= Q(**{f"{prefix}event__host_organisation_id": audience.organisation_id})
        visible |= Q(**{f"{prefix}host_organisation_id": audience.organisation_id})
    return visible


def sees_stop_consent(audience: Audience, item) -> bool:
    """A tour stop's host's consent (asked, confirmed, declined, another time) and when it was
    given: staff, and the organisation hosting that stop; not the other stops' hosts, who see
    the stop itself."""
    return audience.is_staff or (
        audience.is_partner and item.host_organisation_id == audience.organisation_id
    )


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


class ChangeState(NamedTuple):
    """Who could see something when the change log wrote a row about it: the event's
    visibility, host and stop hosts, and for a programme item whether it is internal and which
    organisation hosts it."""

    visibility: str
    host_organisation_id: int | None
    stop_hosts: tuple[int, ...] = ()
    internal: bool = False
    item_host_id: int | None = None

    @classmethod
    def of_row(cls, row: dict[str, Any], prefix: str = "") -> "ChangeState":
        """The state a change-log row (values() of CHANGE_FIELDS) records after the change, or
        before it with prefix "was_"."""
        return cls(
            row[f"{prefix}visibility"],
            row[f"{prefix}host_organisation_id"],
            ids_of(row[f"{prefix}stop_hosts"]),
            row[f"{prefix}internal"],
            row[f"{prefix}item_host_id"],
        )

    def of_event(self) -> "ChangeState":
        """Who could see the event itself (a programme item's row tells that too)."""
        return self._replace(internal=False, item_host_id=None)


# The change-log columns ChangeState.of_row reads.
CHANGE_FIELDS = tuple(
    f"{prefix}{name}"
    for prefix in ("", "was_")
    for name in ("visibility", "host_organisation_id", "stop_hosts", "internal", "item_host_id")
)


def could_see_any(audience: Audience, states: Iterable[ChangeState]) -> bool:
    """Whether the audience could see the object in any of these states: the visibility rule
    (with internal items for those who see them), for the change log's rows, whose events may
    have changed or gone since."""
    for state in states:
        event = SimpleNamespace(
            visibility=state.visibility, host_organisation_id=state.host_organisation_id
        )
        if can_see_event(audience, event, stop_hosts=state.stop_hosts) and (
            not state.internal
            or sees_programme_item(audience, event, "internal", item_host_id=state.item_host_id)
        ):
            return True
    return False


def change_filter(audience: Audience, prefix: str = "") -> Q:
    """could_see_any's rule as a Q over change-log rows: the state after the change, or before
    it with prefix "was_"."""
    if audience.is_staff:
        return Q()
    internal_ok = Q(**{f"{prefix}internal": False})
    visible = Q(**{f"{prefix}visibility": "public"})
    if audience.is_partner:
        org = audience.organisation_id
        visible |= Q(**{f"{prefix}visibility": "partners"})
        visible |= Q(**{f"{prefix}visibility": RESTRICTED}) & (
            Q(**{f"{prefix}host_organisation_id": org}) | lists_id(f"{prefix}stop_hosts", org)
        )
        internal_ok |= Q(**{f"{prefix}host_organisation_id": org})
        internal_ok |= Q(**{f"{prefix}item_host_id": org})
    return visible & internal_ok
