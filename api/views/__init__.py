"""The /api/v1/ views, one module per topic."""

from .attendees import AttendeeViewSet
from .bookings import BookingViewSet
from .events import EventViewSet
from .people import OrganisationViewSet, PersonViewSet
from .places import FacilityViewSet, SiteViewSet
from .programme import ProgrammeItemViewSet

__all__ = [
    "AttendeeViewSet",
    "BookingViewSet",
    "EventViewSet",
    "FacilityViewSet",
    "OrganisationViewSet",
    "PersonViewSet",
    "ProgrammeItemViewSet",
    "SiteViewSet",
]
