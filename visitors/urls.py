from django.urls import path

from . import views

app_name = "visitors"

urlpatterns = [
    path("rsvp/<str:token>/", views.rsvp, name="rsvp"),
    path("consent/<str:token>/", views.consent, name="consent"),
]
