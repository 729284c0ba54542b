"""Order of precedence: the one ordering every attendee list uses (admin, API, pages, print).

Staff may give an attendance an explicit place in its event's order (order_override, 1 is
first): placed attendances come first, by their place; where two share a place, the rules below
decide between them. Then, at their own event, the guest of honour and then the officiating
guests head the list: protocol practice puts them first whatever their rank, so a delegation's
guest of honour prints above a more senior plain guest. Everyone else follows by precedence
rank (1 is the most senior; unranked people come after everyone ranked), then by the role they
hold at this event, then by name so that the order is stable. Role order follows protocol
practice: the host, speakers before general guests, and staff last. Within the head, each role
is ordered by rank, then name.
"""

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce

ROLE_ORDER: tuple[str, ...] = (
    "guest_of_honour",
    "officiating_guest",
    "host",
    "speaker",
    "panellist",
    "moderator",
    "guest",
    "media",
    "escort",
    "staff",
)

# The roles that head their own event's list, in this order, before anyone else.
HEAD_ROLES: tuple[str, ...] = ("guest_of_honour", "officiating_guest")


def role_rank(role: str) -> int:
    try:
        return ROLE_ORDER.index(role)
    except ValueError:
        return len(ROLE_ORDER)


def head_rank(role: str) -> int:
    """0 for the guest of honour, 1 for an officiating guest, 2 for everyone else."""
    try:
        return HEAD_ROLES.index(role)
    except ValueError:
        return len(HEAD_ROLES)


# The order as annotations that are never null, so that a keyset cursor (the API's pages) can
# hold every part and compare it; the last part, the id, makes every key unique.
ORDER_FIELDS: tuple[str, ...] = (
    "precedence_unplaced",
    "precedence_place",
    "precedence_head",
    "precedence_unranked",
    "precedence_rank",
    "precedence_role",
    "precedence_name",
    "precedence_name_zh",
    "id",
)


def _by_role(order: tuple[str, ...]) -> Case:
    return Case(
        *[When(role=role, then=Value(index)) for index, role in enumerate(order)],
        default=Value(len(order)),
        output_field=IntegerField(),
    )


def annotate_precedence(queryset: QuerySet) -> QuerySet:
    """Annotate an Attendance queryset with the parts of ORDER_FIELDS (order_by them to sort)."""
    return queryset.annotate(
        precedence_unplaced=Case(
            When(order_override__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        precedence_place=Coalesce(F("order_override"), Value(0)),
        precedence_head=_by_role(HEAD_ROLES),
        precedence_unranked=Case(
            When(person__precedence_rank__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        precedence_rank=Coalesce(F("person__precedence_rank"), Value(0)),
        precedence_role=_by_role(ROLE_ORDER),
        precedence_name=F("person__name"),
        precedence_name_zh=F("person__name_zh"),
    )


def order_attendances(queryset: QuerySet) -> QuerySet:
    """Sort an Attendance queryset into order of precedence (place staff gave, head of the
    event, rank, role, name)."""
    return annotate_precedence(queryset).order_by(*ORDER_FIELDS)


def sort_key(attendance) -> tuple:
    """The same order for attendances already in memory (e.g. prefetched)."""
    rank = attendance.person.precedence_rank
    place = attendance.order_override
    return (
        place is None,
        place or 0,
        head_rank(attendance.role),
        rank is None,
        rank or 0,
        role_rank(attendance.role),
        attendance.person.name,
        attendance.person.name_zh,
        attendance.pk or 0,
    )
