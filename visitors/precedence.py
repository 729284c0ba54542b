"""Order of precedence: the one ordering every attendee list uses (admin, API, pages, print).

People are ranked by their precedence rank (1 is the most senior; unranked people come after
everyone ranked), then by the role they hold at this event, then by name so that the order is
stable. Role order follows protocol practice: the guest of honour and officiating guests
before the host, speakers before general guests, and staff last.
"""

from django.db.models import Case, F, IntegerField, QuerySet, Value, When

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


def order_attendances(queryset: QuerySet) -> QuerySet:
    """Sort an Attendance queryset into order of precedence (rank, then role, then name)."""
    role_case = Case(
        *[When(role=role, then=Value(index)) for index, role in enumerate(ROLE_ORDER)],
        default=Value(len(ROLE_ORDER)),
        output_field=IntegerField(),
    )
    return queryset.annotate(role_rank=role_case).order_by(
        F("person__precedence_rank").asc(nulls_last=True),
        "role_rank",
        "person__name",
        "person__name_zh",
        "id",
    )


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
