"""The public RSVP and host consent pages: no login, CSRF-protected; GET shows, only POST
records."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from scheduling.facts import event_facts
from scheduling.models import Event
from scheduling.services import stop_consent_answer

from .arrivals import codes
from .consents import ConsentLinkError, StopFacts, consent_for_link, proposed_time
from .forms import ConsentForm, RsvpForm
from .models import Attendance
from .rsvp import RsvpLinkError, rsvp_attendance
from .services import rsvp_record

# A cancelled event takes no answers (rsvp_record refuses); one that took place needs none.
CLOSED = (Event.Status.CANCELLED, Event.Status.COMPLETED)


@never_cache
@require_http_methods(["GET", "POST"])
def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    try:
        attendance = rsvp_attendance(token)
    except RsvpLinkError as error:
        context = {"error": error, "organiser_email": settings.ORGANISER_EMAIL}
        return render(request, "visitors/rsvp_refused.html", context, status=error.status)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        # The attendee's own language, until they choose with the page's switch (a cookie).
        translation.activate(attendance.person.language)
        request.LANGUAGE_CODE = translation.get_language()
    event = attendance.event
    closed = event.status in CLOSED
    if request.method == "POST" and not closed:
        form = RsvpForm(request.POST)
        if form.is_valid():
            try:
                rsvp_record(attendance_id=attendance.pk, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                # Post/redirect/get: reloading the page must not answer again.
                return HttpResponseRedirect(request.path + "?saved=1")
    else:
        # The e-mail's accept / tentative / decline links preselect; they never record.
        form = RsvpForm.for_attendance(attendance, preselect=request.GET.get("answer"))
    facts = event_facts(event)
    context = {
        "attendance": attendance,
        "event": event,
        "facts": facts,
        "call_time": facts.time_of(attendance.call_time) if attendance.call_time else "",
        "form": form,
        "closed": closed,
        "saved": request.GET.get("saved") == "1" and request.method == "GET",
        "answered": attendance.rsvp != Attendance.RSVP.NEEDS_ACTION,
        "checkin_code": codes.shown(attendance.checkin_code),
        "qr_url": reverse("visitors:rsvp-qr", args=[token]),
    }
    status = 409 if request.method == "POST" and closed else 200
    return render(request, "visitors/rsvp.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, token: str) -> HttpResponse:
    """A tenant host confirms, declines or asks for another time for a stop of a visit."""
    try:
        consent, version = consent_for_link(token)
    except ConsentLinkError as error:
        facts = StopFacts(error.consent.item) if error.consent else None
        context = {"error": error, "facts": facts, "organiser_email": settings.ORGANISER_EMAIL}
        return render(request, "visitors/consent_refused.html", context, status=error.status)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(consent.person.language)  # until the page's switch says otherwise
        request.LANGUAGE_CODE = translation.get_language()
    event = consent.item.event
    closed = event.status in CLOSED
    form = ConsentForm()
    if request.method == "POST" and not closed:
        with timezone.override(event.zone):  # the proposed time is on the event's clock
            form = ConsentForm(request.POST)
            valid = form.is_valid()
        if valid:
            try:
                stop_consent_answer(consent_id=consent.pk, version=version, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return HttpResponseRedirect(request.path + "?saved=1")  # reloading answers once
    context = {
        "consent": consent,
        "facts": StopFacts(consent.item),
        "proposed": proposed_time(consent),
        "form": form,
        "closed": closed,
        "saved": request.GET.get("saved") == "1" and request.method == "GET",
    }
    status = 409 if request.method == "POST" and closed else 200
    return render(request, "visitors/consent.html", context, status=status)


@never_cache
@require_http_methods(["GET"])
def rsvp_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The attendee's check-in code as a QR image, behind the same signed link as their page."""
    try:
        attendance = rsvp_attendance(token)
    except RsvpLinkError:
        raise Http404 from None
    return HttpResponse(codes.qr_png(attendance.checkin_code), content_type="image/png")
