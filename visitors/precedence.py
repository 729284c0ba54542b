"""Order of precedence: the one ordering every attendee list uses (admin, API, pages, print).

People are ranked by their precedence rank (1 is the most senior; unranked people come after
everyone ranked), then by the role they hold at this event, then by name so that the order is
stable. Role order follows protocol practice: the guest of honour and officiating guests
before the host, speakers before general guests, and staff last.
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


def role_rank(role: str) -> int:
    try:
        return ROLE_ORDER.index(role)
    except ValueError:
        return len(ROLE_ORDER)


# The order as annotations that are never null, so that a keyset cursor (the API's pages) can
# hold every part and compare it; the last part, the id, makes every key unique.
ORDER_FIELDS: tuple[str, ...] = (
    "precedence_unranked",
    "precedence_rank",
    "precedence_role",
    "precedence_name",
    "precedence_name_zh",
    "id",
)


def annotate_precedence(queryset: QuerySet) -> QuerySet:
    """Annotate an Attendance queryset with the parts of ORDER_FIELDS (order_by them to sort)."""
    return queryset.annotate(
        precedence_unranked=Case(
            When(person__precedence_rank__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        precedence_rank=Coalesce(F("person__precedence_rank"), Value(0)),
        precedence_role=Case(
            *[When(role=role, then=Value(index)) for index, role in enumerate(ROLE_ORDER)],
            default=Value(len(ROLE_ORDER)),
            output_field=IntegerField(),
        ),
        precedence_name=F("person__name"),
        precedence_name_zh=F("person__name_zh"),
    )


def order_attendances(queryset: QuerySet) -> QuerySet:
    """Sort an Attendance queryset into order of precedence (rank, then role, then name)."""
    return annotate_precedence(queryset).order_by(*ORDER_FIELDS)


def sort_key(attendance) -> tuple:
    """The same order for attendances already in memory (e.g. prefetched)."""
    rank = attendance.person.precedence_rank
    return (
        rank is None,
        rank or 0,
        role_rank(attendance.role),
        attendance.person.name,
        attendance.person.name_zh,
        attendance.pk or 0,
    )
