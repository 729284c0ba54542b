"""Subscription feeds: the ``/feeds/<token>.ics`` address calendar apps poll, and
``/api/v1/feeds/`` where a key makes, lists and revokes its feeds.

A partner key's feeds belong to its organisation and show what that organisation may see; a
staff key's feeds show everything while its user is active staff. Making a feed reads nothing a
key could not read already, so ``events:read`` is the scope for all of it. The token (and the
address holding it) is in the answer to the POST only, and is not kept for an Idempotency-Key
replay either: a lost token means revoking the feed and making another.
"""

import calendar

from django.http import HttpResponse, HttpResponseGone, HttpResponseNotFound
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from scheduling.models import Event, Facility, Site
from visitors.models import Organisation, Person

from .. import feeds, pagination
from ..models import Feed, Scope
from ..permissions import KeyRequired, ScopeRequired
from ..schema import idempotent
from ..serializers import IdRelatedField, StrictInputMixin
from .base import ApiViewSet

# --- /feeds/<token>.ics ------------------------------------------------------------------------


@require_safe
def feed(request, token: str) -> HttpResponse:
    """The calendar itself. No login (calendar apps cannot): the token is the key. 304 before
    anything is rendered; 410 once the feed is revoked."""
    found = feeds.feed_lookup(token)
    if found is None:
        return HttpResponseNotFound(
            _("No such feed.") + "\n", content_type="text/plain; charset=utf-8"
        )
    if not feeds.feed_is_live(found):
        return HttpResponseGone(
            _("This feed was revoked: ask the protocol office for a new address.") + "\n",
            content_type="text/plain; charset=utf-8",
        )
    now = timezone.now()
    etag, last_modified = feeds.feed_validators(found, now=now)
    stamp = calendar.timegm(last_modified.utctimetuple())
    response = get_conditional_response(request, etag=etag, last_modified=stamp)
    if response is None:
        response = HttpResponse(
            feeds.feed_body(found, etag=etag, now=now), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="feed-{found.pk}.ics"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(stamp)
    # The address is a secret: no shared cache may keep the answer, and clients revalidate.
    patch_cache_control(response, private=True, no_cache=True)
    return response


# --- /api/v1/feeds/ ----------------------------------------------------------------------------


class FeedSerializer(serializers.ModelSerializer):
    audience = serializers.SerializerMethodField(
        help_text="Whose eyes the feed sees with: staff, partner (owner_organisation) or public."
    )
    active = serializers.SerializerMethodField(help_text="False once revoked.")

    class Meta:
        model = Feed
        fields = [
            "id",
            "name",
            "audience",
            "owner_organisation",
            "site",
            "facility",
            "organisation",
            "person",
            "kinds",
            "statuses",
            "visibilities",
            "token_hint",
            "active",
            "created_at",
            "revoked_at",
        ]
        read_only_fields = fields

    def get_audience(self, feed: Feed) -> str:
        if feed.owner_user_id is not None:
            return "staff"
        return "partner" if feed.owner_organisation_id is not None else "public"

    def get_active(self, feed: Feed) -> bool:
        return feed.revoked_at is None


class FeedCreatedSerializer(FeedSerializer):
    token = serializers.CharField(
        allow_null=True, help_text="Shown in this answer only (null in an idempotent replay)."
    )
    url = serializers.URLField(allow_null=True, help_text="The address to subscribe to.")
    webcal_url = serializers.CharField(allow_null=True, help_text="The same, as webcal://.")

    class Meta(FeedSerializer.Meta):
        fields = [*FeedSerializer.Meta.fields, "token", "url", "webcal_url"]
        read_only_fields = fields


@extend_schema_serializer(many=False)  # the whole answer of the list, not an item of an array
class FeedPageSerializer(serializers.Serializer):
    """A page of feeds."""

    results = FeedSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page; null at the end.")


class FeedInputSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="The calendar's name in the app.")
    site = IdRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    facility = IdRelatedField(
        queryset=Facility.objects.all(),
        required=False,
        allow_null=True,
        help_text="Events that book it or hold a programme item there.",
    )
    organisation = IdRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text="Events it hosts, hosts a stop of, or its people attend or speak at (a partner "
        "key: its own organisation only).",
    )
    person = IdRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        help_text="Staff keys: events the person attends or has a part in.",
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.Kind.choices), required=False, max_length=20
    )
    statuses = serializers.ListField(
        child=serializers.ChoiceField(
            choices=[c for c in Event.Status.choices if c[0] != Event.Status.CANCELLED]
        ),
        required=False,
        max_length=10,
        help_text="Empty: all but draft. Cancelled events are never in a feed.",
    )
    visibilities = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.Visibility.choices),
        required=False,
        max_length=10,
    )


@extend_schema_view(
    list=extend_schema(
        summary="List the feeds this key manages",
        parameters=[
            OpenApiParameter(pagination.CURSOR_PARAM, OpenApiTypes.STR, description="From `next`."),
            OpenApiParameter(
                pagination.PAGE_SIZE_PARAM,
                OpenApiTypes.INT,
                description=f"Results per page, 1 to {pagination.MAX_PAGE_SIZE} (default 50).",
            ),
        ],
        responses=FeedPageSerializer,
    ),
    retrieve=extend_schema(summary="Read a feed"),
    create=extend_schema(
        summary="Make a subscription feed (its address is shown in this answer only)",
        request=FeedInputSerializer,
        responses={201: FeedCreatedSerializer},
        **idempotent(),
    ),
    destroy=extend_schema(
        summary="Revoke a feed (its address answers 410 from now on)", responses={204: None}
    ),
)
class FeedViewSet(ApiViewSet):
    """Feeds of this key's organisation (partner keys) or all feeds (staff keys)."""

    serializer_class = FeedSerializer
    queryset = Feed.objects.none()  # for schema introspection; see visible_queryset
    permission_classes = [KeyRequired, ScopeRequired]
    http_method_names = ["get", "post", "delete", "head", "options"]
    scopes = {name: Scope.EVENTS_READ for name in ("list", "retrieve", "create", "destroy")}

    def visible_queryset(self):
        return Feed.objects.owned_by(self.key)

    def list(self, request, *args, **kwargs):
        rows, next_url = pagination.paginate(
            self.get_queryset(),
            request,
            ordering_name="id",
            keys=("id",),
            position=0,
            cursor=pagination.decode_cursor(request),
        )
        return Response({"results": FeedSerializer(rows, many=True).data, "next": next_url})

    def retrieve(self, request, *args, **kwargs):
        return Response(FeedSerializer(self.get_object()).data)

    def create(self, request, *args, **kwargs):
        given = FeedInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        if self.key.is_staff_key:
            owner = {"owner_user": self.key.user}
        else:
            refused = {}
            if data.get("person") is not None:
                refused["person"] = [_("Staff keys only.")]
            if data.get("organisation") not in (None, self.key.organisation):
                refused["organisation"] = [
                    _("A partner key's feeds are about its own organisation.")
                ]
            if refused:
                raise exceptions.ValidationError(refused)
            owner = {"owner_organisation": self.key.organisation}
        made, token = feeds.feed_create(**data, **owner, by=self.acting_user())
        # Kept for an Idempotency-Key replay without the token: it is shown once.
        body = {**FeedSerializer(made).data, "token": None, "url": None, "webcal_url": None}
        self._shown_once = {
            "token": token,
            "url": feeds.feed_url(token),
            "webcal_url": feeds.feed_webcal_url(token),
        }
        return Response(
            body, status=status.HTTP_201_CREATED, headers={"Location": f"/api/v1/feeds/{made.pk}/"}
        )

    def destroy(self, request, *args, **kwargs):
        feeds.feed_revoke(feed_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def finalize_response(self, request, response, *args, **kwargs):
        # The idempotency ledger stores response.data here; the token joins it only after.
        response = super().finalize_response(request, response, *args, **kwargs)
        shown, self._shown_once = getattr(self, "_shown_once", None), None
        if shown and isinstance(response, Response) and response.status_code == 201:
            response.data = {**response.data, **shown}
        return response
