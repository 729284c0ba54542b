"""The staff pages, mounted at /staff/ under the "staff" namespace (config/urls.py)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from core.forms import LoginForm

from .views import (
    attendees,
    bookings,
    calendar,
    calendar_actions,
    calendar_data,
    checkin,
    delegation_parts,
    delegations,
    events,
    exports,
    imports,
    invitations,
    language,
    live,
    people,
    planner,
    printables,
    programme,
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
    path("language/", language.language_set, name="language"),
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
    path("events/<int:pk>/programme/add/", programme.programme_add, name="programme-add"),
    path(
        "events/<int:pk>/programme/<int:item_pk>/",
        programme.programme_edit,
        name="programme-edit",
    ),
    path(
        "events/<int:pk>/programme/<int:item_pk>/move/",
        programme.programme_move,
        name="programme-move",
    ),
    path(
        "events/<int:pk>/programme/consent/",
        programme.consents_request,
        name="consents-request",
    ),
    path(
        "events/<int:pk>/programme/<int:item_pk>/consent/",
        programme.consent_request,
        name="consent-request",
    ),
    path(
        "events/<int:pk>/programme/<int:item_pk>/delete/",
        programme.programme_delete,
        name="programme-delete",
    ),
    path("events/<int:pk>/attendees/add/", attendees.attendee_add, name="attendee-add"),
    path(
        "events/<int:pk>/attendees/add-several/",
        attendees.attendees_add,
        name="attendees-add",
    ),
    path("events/<int:pk>/attendees/import/", imports.attendees_import, name="attendees-import"),
    path(
        "events/<int:pk>/attendees/import/<int:batch_pk>/",
        imports.attendees_import_preview,
        name="attendees-import-preview",
    ),
    path(
        "events/<int:pk>/attendees/import/<int:batch_pk>/discard/",
        imports.attendees_import_discard,
        name="attendees-import-discard",
    ),
    path(
        "events/<int:pk>/attendees/import/template/<slug:file_format>/",
        imports.attendees_import_template,
        name="attendees-import-template",
    ),
    path(
        "events/<int:pk>/export/<slug:table>/<slug:file_format>/",
        exports.event_export,
        name="event-export",
    ),
    path(
        "events/<int:pk>/attendees/<int:attendance_pk>/edit/",
        attendees.attendee_edit,
        name="attendee-edit",
    ),
    path(
        "events/<int:pk>/attendees/<int:attendance_pk>/remove/",
        attendees.attendee_remove,
        name="attendee-remove",
    ),
    path(
        "events/<int:pk>/attendees/<int:attendance_pk>/order/",
        attendees.attendance_order,
        name="attendance-order",
    ),
    path("events/<int:pk>/delegations/", delegations.delegations, name="delegations"),
    path("events/<int:pk>/delegations/add/", delegations.delegation_add, name="delegation-add"),
    path(
        "events/<int:pk>/delegations/<int:delegation_pk>/",
        delegations.delegation_edit,
        name="delegation-edit",
    ),
    path(
        "events/<int:pk>/delegations/<int:delegation_pk>/delete/",
        delegations.delegation_delete,
        name="delegation-delete",
    ),
    path(
        "events/<int:pk>/delegations/<int:delegation_pk>/movements/",
        delegations.delegation_movements,
        name="delegation-movements",
    ),
    path(
        "events/<int:pk>/delegations/<int:delegation_pk>/cars/add/",
        delegation_parts.vehicle_add,
        name="vehicle-add",
    ),
    path(
        "events/<int:pk>/delegations/cars/<int:vehicle_pk>/",
        delegation_parts.vehicle_edit,
        name="vehicle-edit",
    ),
    path(
        "events/<int:pk>/delegations/cars/<int:vehicle_pk>/delete/",
        delegation_parts.vehicle_delete,
        name="vehicle-delete",
    ),
    path(
        "events/<int:pk>/delegations/<int:delegation_pk>/passes/add/",
        delegation_parts.pass_add,
        name="pass-add",
    ),
    path(
        "events/<int:pk>/delegations/passes/<int:pass_pk>/",
        delegation_parts.pass_edit,
        name="pass-edit",
    ),
    path(
        "events/<int:pk>/delegations/passes/<int:pass_pk>/delete/",
        delegation_parts.pass_delete,
        name="pass-delete",
    ),
    path("events/<int:pk>/bookings/add/", bookings.booking_add, name="booking-add"),
    path(
        "events/<int:pk>/bookings/<int:booking_pk>/move/",
        bookings.booking_move,
        name="booking-move",
    ),
    path(
        "events/<int:pk>/bookings/<int:booking_pk>/release/",
        bookings.booking_release,
        name="booking-release",
    ),
    path("events/<int:pk>/bookings/confirm/", bookings.bookings_confirm, name="bookings-confirm"),
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
    path("events/<int:pk>/print/<slug:kind>/pdf/", printables.printable_pdf, name="print-pdf"),
    path("visits/new/", planner.planner, name="planner"),
    path("people/search/", people.people_search, name="people-search"),
    path("check-in/", checkin.checkin, name="checkin"),
    path("events/<int:pk>/live/", live.run_of_show, name="live"),
    path("events/<int:pk>/board/", live.board, name="board"),
    path("programme/<int:pk>/mark/", live.mark, name="live-mark"),
    path("check-in/<int:pk>/arrive/", checkin.checkin_arrive, name="checkin-arrive"),
    path("check-in/<int:pk>/undo/", checkin.checkin_undo, name="checkin-undo"),
    path("check-in/code/", checkin.checkin_code, name="checkin-code"),
    path("check-in/walk-in/", checkin.checkin_walk_in, name="checkin-walk-in"),
]
