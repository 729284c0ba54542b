"""The cars on the day: when each driver is to be called, moved as the day moves.

A car call is planned against its departure item: if the day's marks expect the departure
later than planned (scheduling.live), the call moves by as much, so that the escort calls the
cars when the party will actually leave, not when it was meant to. It never moves earlier.
"""

import datetime as dt
from dataclasses import dataclass

from scheduling.live import Timing
from scheduling.models import Event

from .models import Vehicle


@dataclass(frozen=True)
class CarCall:
    vehicle: Vehicle
    planned: dt.datetime | None
    expected: dt.datetime | None

    @property
    def slip(self) -> dt.timedelta:
        if self.planned is None or self.expected is None:
            return dt.timedelta(0)
        return self.expected - self.planned


def car_calls(event: Event, timings: list[Timing]) -> list[CarCall]:
    """Every car of the event's delegations, in order of its (expected) call (two queries)."""
    slips = {timing.item.pk: timing.slip for timing in timings}
    vehicles = (
        Vehicle.objects.filter(delegation__event=event)
        .select_related("delegation", "pick_up_facility", "drop_off_facility")
        .prefetch_related("passengers")
    )
    calls = [
        CarCall(
            vehicle=vehicle,
            planned=vehicle.car_call_at,
            expected=vehicle.car_call_at + slips.get(vehicle.departure_item_id, dt.timedelta(0))
            if vehicle.car_call_at
            else None,
        )
        for vehicle in vehicles
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(calls, key=lambda call: (call.expected or far, call.vehicle.position))
