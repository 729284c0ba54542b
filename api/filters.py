"""Query filters of the lists. Times are ISO 8601 with an offset; ids are whole numbers."""

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from scheduling.models import Booking, Event, Facility, ProgrammeItem
from visitors.models import Attendance, Organisation, Person

from .fields import MAX_ID, parse_aware


class AwareDateTimeFormField(forms.DateTimeField):
    def to_python(self, value):
        if isinstance(value, str):
            try:
                return parse_aware(value)
            except ValueError as error:
                raise ValidationError(str(error)) from None
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeFilter(filters.Filter):
    field_class = AwareDateTimeFormField


class IdFormField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and not value.strip().isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.Filter):
    field_class = IdFormField


class EventFilter(filters.FilterSet):
    start = AwareDateTimeFilter(
        field_name="end", lookup_expr="gt", help_text="Events that end after this time."
    )
    end = AwareDateTimeFilter(
        field_name="start", lookup_expr="lt", help_text="Events that start before this time."
    )
    site = IdFilter(field_name="site_id")
    facility = IdFilter(
        method="filter_facility", help_text="Events booking this facility or using it."
    )
    kind = filters.MultipleChoiceFilter(choices=Event.Kind.choices)
    status = filters.MultipleChoiceFilter(
        choices=Event.Status.choices, help_text="Default: every status except cancelled."
    )
    organisation = IdFilter(field_name="host_organisation_id", help_text="The host organisation.")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Event
        fields = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            # Cancelled events leave the list (sync sends them as tombstones) unless asked for.
            queryset = queryset.exclude(status=Event.Status.CANCELLED)
        return queryset

    def filter_facility(self, queryset, name, value):
        booked = Booking.objects.active().filter(event=OuterRef("pk"), facility_id=value)
        used = ProgrammeItem.objects.filter(event=OuterRef("pk"), facility_id=value)
        return queryset.filter(Q(Exists(booked)) | Q(Exists(used)))


class BookingFilter(filters.FilterSet):
    start = AwareDateTimeFilter(
        field_name="end", lookup_expr="gt", help_text="Bookings that end after this time."
    )
    end = AwareDateTimeFilter(
        field_name="start", lookup_expr="lt", help_text="Bookings that start before this time."
    )
    event = IdFilter(field_name="event_id")
    facility = IdFilter(field_name="facility_id")
    site = IdFilter(field_name="facility__site_id")
    status = filters.MultipleChoiceFilter(choices=Booking.Status.choices)
    organisation = IdFilter(field_name="event__host_organisation_id")
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Booking
        fields = []


class FacilityFilter(filters.FilterSet):
    site = IdFilter(field_name="site_id")
    kind = filters.MultipleChoiceFilter(choices=Facility.Kind.choices)
    is_bookable = filters.BooleanFilter()

    class Meta:
        model = Facility
        fields = []


class AttendanceFilter(filters.FilterSet):
    role = filters.MultipleChoiceFilter(choices=Attendance.Role.choices)
    rsvp = filters.MultipleChoiceFilter(choices=Attendance.RSVP.choices)
    updated_since = AwareDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Attendance
        fields = []


class OrganisationFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=Organisation.Kind.choices)

    class Meta:
        model = Organisation
        fields = []


class PersonFilter(filters.FilterSet):
    organisation = IdFilter(field_name="organisation_id")
    email = filters.CharFilter(field_name="email", lookup_expr="iexact")

    class Meta:
        model = Person
        fields = []
