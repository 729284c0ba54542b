"""The staff pages, mounted at /staff/ under the "staff" namespace (config/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from core.forms import LoginForm

from .views import (
    calendar,
    calendar_actions,
    calendar_data,
    checkin,
    events,
    invitations,
    planner,
    printables,
)

app_name = "staff"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="staff/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/data/", calendar_data.calendar_data, name="calendar-data"),
    path(
        "calendar/candidates/",
        calendar_actions.calendar_candidates,
        name="calendar-candidates",
    ),
    path("calendar/hold/", calendar_actions.calendar_hold, name="calendar-hold"),
    path(
        "calendar/bookings/<int:pk>/move/",
        calendar_actions.calendar_move,
        name="calendar-move",
    ),
    path("events/<int:pk>/", events.event_detail, name="event"),
    path("events/<int:pk>/status/", events.event_status, name="event-status"),
    path("events/<int:pk>/cancel/", events.event_cancel, name="event-cancel"),
    path("events/<int:pk>/reschedule/", events.event_reschedule, name="event-reschedule"),
    path("events/<int:pk>/bookings/confirm/", events.bookings_confirm, name="bookings-confirm"),
    path(
        "events/<int:pk>/attendees/<int:attendance_pk>/order/",
        events.attendance_order,
        name="attendance-order",
    ),
    path("events/<int:pk>/invitations/", invitations.invitations, name="invitations"),
    path(
        "events/<int:pk>/invitations/send/", invitations.invitations_send, name="invitations-send"
    ),
    path(
        "events/<int:pk>/invitations/progress/",
        invitations.invitations_progress,
        name="invitations-progress",
    ),
    path(
        "events/<int:pk>/invitations/approve/",
        invitations.invitations_approve,
        name="invitations-approve",
    ),
    path("deliveries/<int:pk>/resend/", invitations.delivery_resend_view, name="delivery-resend"),
    path("events/<int:pk>/print/<slug:kind>/", printables.printable, name="print"),
    path("visits/new/", planner.planner, name="planner"),
    path("check-in/", checkin.checkin, name="checkin"),
    path("check-in/<int:pk>/arrive/", checkin.checkin_arrive, name="checkin-arrive"),
    path("check-in/<int:pk>/undo/", checkin.checkin_undo, name="checkin-undo"),
]
