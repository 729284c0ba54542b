"""Warnings about an event's delegations and their cars:

- ``passenger_two_vehicles``: someone is a passenger in two cars of the event;
- ``vehicle_without_driver``: a car has no driver named;
- ``car_call_after_departure``: a car's driver is called after its departure item starts (as
  expected on the day, once the day has moved it).
"""

from collections import defaultdict

from django.utils.translation import gettext as _

from scheduling.models import Event
from visitors.models import Vehicle

from .base import (
    CAR_CALL_AFTER_DEPARTURE,
    PASSENGER_TWO_VEHICLES,
    VEHICLE_WITHOUT_DRIVER,
    EventWarning,
    _clock_near,
)


def delegation_vehicles(ids) -> list[Vehicle]:
    """The cars of the events' delegations (events not cancelled), with their passengers and
    departure items: two queries whatever their number."""
    return list(
        Vehicle.objects.filter(delegation__event_id__in=ids)
        .exclude(delegation__event__status=Event.Status.CANCELLED)
        .select_related("delegation", "departure_item")
        .prefetch_related("passengers")
    )


def _car(vehicle: Vehicle) -> str:
    return _("car %(number)s (%(plate)s) of %(party)s") % {
        "number": vehicle.position,
        "plate": vehicle.plate,
        "party": vehicle.delegation.name,
    }


def _vehicle_warnings(events: dict[int, Event], vehicles: list[Vehicle]):
    seats = defaultdict(list)  # (event, person) -> their cars
    for vehicle in vehicles:
        event = events[vehicle.delegation.event_id]
        for person in vehicle.passengers.all():
            seats[event.pk, person].append(vehicle)
        if not vehicle.driver.strip():
            yield EventWarning(
                code=VEHICLE_WITHOUT_DRIVER,
                message=_("No driver is named for %(car)s.") % {"car": _car(vehicle)},
                event_id=event.pk,
            )
        departure = vehicle.departure_item
        if vehicle.car_call_at and departure is not None:
            leaves = departure.expected_start or departure.start
            if vehicle.car_call_at > leaves:
                yield EventWarning(
                    code=CAR_CALL_AFTER_DEPARTURE,
                    message=_(
                        "The car call for %(car)s (%(call)s) is after the departure "
                        "“%(title)s” (%(leaves)s)."
                    )
                    % {
                        "car": _car(vehicle),
                        "call": _clock_near(vehicle.car_call_at, event),
                        "title": departure.title,
                        "leaves": _clock_near(leaves, event),
                    },
                    event_id=event.pk,
                    item_ids=(departure.pk,),
                )
    for (event_id, person), cars in seats.items():
        if len(cars) > 1:
            yield EventWarning(
                code=PASSENGER_TWO_VEHICLES,
                message=_("%(person)s is a passenger in %(cars)s.")
                % {"person": person, "cars": _(" and ").join(_car(car) for car in cars)},
                event_id=event_id,
                person_id=person.pk,
            )
