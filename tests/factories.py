"""Boring factories: valid rows with the fewest decisions made."""

import datetime as dt
import zoneinfo

import factory

from scheduling.models import Booking, Closure, Event, Facility, ProgrammeItem, Site
from visitors.models import Attendance, Organisation, Person

HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")


def hk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An aware Hong Kong time, the way staff think of it."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=HK)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"InnoPark {n}")
    slug = factory.Sequence(lambda n: f"innopark-{n}")
    address = "5 Dai Fu Street, Tai Po Industrial Estate, New Territories, Hong Kong"
    timezone = "Asia/Hong_Kong"


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Hall {n}")
    kind = Facility.Kind.HALL
    capacity = 200
    setup_minutes = 30
    teardown_minutes = 15


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Tenant {n} Limited")
    slug = factory.Sequence(lambda n: f"tenant-{n}")
    kind = Organisation.Kind.TENANT


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    honorific = "Ms"
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    organisation = factory.SubFactory(OrganisationFactory)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Ceremony {n}")
    kind = Event.Kind.CEREMONY
    status = Event.Status.DRAFT
    visibility = Event.Visibility.INTERNAL
    site = factory.SubFactory(SiteFactory)
    timezone = "Asia/Hong_Kong"
    start = factory.LazyFunction(lambda: hk(2030, 3, 4, 10, 0))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=2))


class ProgrammeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeItem

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Item {n}")
    kind = ProgrammeItem.Kind.REMARKS
    start = factory.LazyAttribute(lambda o: o.event.start)
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=15))


class BookingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booking

    event = factory.SubFactory(EventFactory)
    facility = factory.SubFactory(FacilityFactory, site=factory.SelfAttribute("..event.site"))
    start = factory.LazyAttribute(lambda o: o.event.start)
    end = factory.LazyAttribute(lambda o: o.event.end)
    setup_minutes = factory.LazyAttribute(lambda o: o.facility.setup_minutes)
    teardown_minutes = factory.LazyAttribute(lambda o: o.facility.teardown_minutes)
    status = Booking.Status.CONFIRMED


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    facility = factory.SubFactory(FacilityFactory)
    start = factory.LazyFunction(lambda: hk(2030, 3, 4, 0, 0))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(days=1))
    reason = Closure.Reason.MAINTENANCE


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    event = factory.SubFactory(EventFactory)
    person = factory.SubFactory(PersonFactory)
    role = Attendance.Role.GUEST


def event_created(**fields) -> Event:
    """An event made by the service (so the change log, webhooks and sync know of it), with the
    fewest decisions made: a ceremony at a new site on 4 March 2030, 10:00–12:00 Hong Kong."""
    from scheduling import services

    fields.setdefault("title", "Opening ceremony")
    fields.setdefault("site", None)
    if fields["site"] is None:
        fields["site"] = SiteFactory()
    fields.setdefault("start", hk(2030, 3, 4, 10))
    fields.setdefault("end", fields["start"] + dt.timedelta(hours=2))
    return services.event_create(**fields)
