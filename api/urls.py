"""/api/v1/ (the partner API), /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views
from .views.feeds import FeedViewSet

# Any segment: the view answers a malformed id with the same JSON 404 as an unknown one.
EVENT = r"events/(?P<event_pk>[^/]+)"

router = SimpleRouter()
router.register("events", views.EventViewSet, basename="event")
router.register(f"{EVENT}/programme", views.ProgrammeItemViewSet, basename="programme-item")
router.register(f"{EVENT}/attendees", views.AttendeeViewSet, basename="attendee")
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("sites", views.SiteViewSet, basename="site")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("people", views.PersonViewSet, basename="person")
router.register("feeds", FeedViewSet, basename="feed")

app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
