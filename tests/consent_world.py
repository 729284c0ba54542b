"""A visit whose stops are hosted by tenants, for the consent tests."""

import datetime as dt

from scheduling.models import ProgrammeItem, ProgrammeRole
from tests.factories import (
    AttendanceFactory,
    EventFactory,
    FacilityFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeItemFactory,
    SiteFactory,
    hk,
)


def hosted_stop(*, event=None, language="en", start=None, email=None, **facility):
    """A tour stop at a tenant's cleanroom, its host person in the given language."""
    event = event or EventFactory(
        site=SiteFactory(name="Tai Po InnoPark", name_zh="大埔創新園"),
        title="Secretary visits the MARS Centre",
        title_zh="局長參觀先進製造業中心",
        start=hk(2030, 3, 4, 10),
        end=hk(2030, 3, 4, 12),
    )
    tenant = OrganisationFactory()
    room = FacilityFactory(
        site=event.site,
        name=f"{tenant.name} cleanroom",
        name_zh="無塵室",
        **{"cleanroom": True, "ppe_required": True, "photography_allowed": False, **facility},
    )
    start = start or event.start + dt.timedelta(minutes=30)
    item = ProgrammeItemFactory(
        event=event,
        kind=ProgrammeItem.Kind.TOUR_STOP,
        title=f"{tenant.name} production line",
        title_zh="生產線",
        facility=room,
        host_organisation=tenant,
        start=start,
        end=start + dt.timedelta(minutes=20),
    )
    host = PersonFactory(
        organisation=tenant, language=language, **({"email": email} if email is not None else {})
    )
    ProgrammeRole.objects.create(item=item, person=host, part=ProgrammeRole.Part.HOST)
    return item


def party(event, size: int) -> None:
    for _n in range(size):
        AttendanceFactory(event=event)
