from django.urls import path

from . import views

app_name = "visitors"

urlpatterns = [
    path("rsvp/<str:token>/", views.rsvp, name="rsvp"),
    path("consent/<str:token>/", views.consent, name="consent"),
    path("rsvp/<str:token>/check-in-code.png", views.rsvp_qr, name="rsvp-qr"),
]
