"""The partner API in the back office: API keys (the token is shown once, revoke), webhook
endpoints (the secret is shown once, rotate, disable) with their delivery log, and feeds."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import labelled
from scheduling.models import Event

from . import feeds, services, webhooks
from .models import ApiKey, Feed, Scope, WebhookDelivery, WebhookEndpoint, WebhookType

CHECKBOXES = forms.CheckboxSelectMultiple


class ApiKeyForm(forms.ModelForm):
    scope_list = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ["name", "organisation", "user", "expires_at", "rate_per_minute"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_list"].initial = sorted(self.instance.scope_set)

    def clean(self):
        cleaned = super().clean()
        self.instance.scopes = " ".join(sorted(cleaned.get("scope_list") or []))
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = (
        "name", "prefix", "organisation", "user", "scopes", "expires_at", "revoked_at",
        "last_used_at",
    )  # fmt: skip
    list_filter = ("revoked_at", "organisation")
    search_fields = ("name", "prefix", "organisation__name", "user__username")
    list_select_related = ("organisation", "user")
    autocomplete_fields = ("organisation",)
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # Who a key speaks for is fixed when it is made: make a new key instead.
        fixed = ("organisation", "user") if obj is not None else ()
        return (*self.readonly_fields, *fixed)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            key, token = services.api_key_create(
                name=obj.name,
                organisation=obj.organisation,
                user=obj.user,
                scopes=obj.scope_set,
                expires_at=obj.expires_at,
                rate_per_minute=obj.rate_per_minute,
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        obj.pk, obj.prefix, obj.secret_hash = key.pk, key.prefix, key.secret_hash
        obj._state.adding = False
        messages.warning(
            request,
            _("The key's token, shown only now — copy it to the partner: %(token)s")
            % {"token": token},
        )

    @admin.action(description=gettext_lazy("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            services.api_key_revoke(key_id=key.pk)
        self.message_user(
            request,
            _("Revoked %(count)d key(s).") % {"count": queryset.count()},
            messages.SUCCESS,
        )


# --- Webhooks ----------------------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=WebhookEndpoint._meta.get_field("url").help_text,
    )
    type_list = forms.MultipleChoiceField(
        label=gettext_lazy("Notifications"),
        choices=WebhookType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "organisation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_list"].initial = sorted(self.instance.type_set)

    def clean(self):
        cleaned = super().clean()
        self.instance.event_types = " ".join(sorted(cleaned.get("type_list") or []))
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Register an endpoint (its secret is shown once), rotate its secret, disable, enable."""

    form = WebhookEndpointForm
    list_display = (
        "name", "url", "organisation", "event_types", "is_active", "disabled_reason",
        "delivery_log",
    )  # fmt: skip
    list_filter = ("is_active", "organisation")
    search_fields = ("name", "url", "organisation__name")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)
    readonly_fields = (
        "is_active", "disabled_at", "disabled_reason", "since_change", "created_by", "created_at",
        "previous_secret_expires_at",
    )  # fmt: skip
    actions = ["rotate_secret", "disable", "enable"]

    def get_readonly_fields(self, request, obj=None):
        # Whose eyes an endpoint sees with is fixed when it is made: register another instead.
        return (*self.readonly_fields, "organisation") if obj is not None else self.readonly_fields

    @admin.display(description=gettext_lazy("Deliveries"))
    def delivery_log(self, obj):
        url = reverse("admin:api_webhookdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("log"))

    def save_model(self, request, obj, form, change):
        if change:
            obj.full_clean()
            super().save_model(request, obj, form, change)
            return
        try:
            endpoint, secret = webhooks.webhook_endpoint_register(
                name=obj.name,
                url=obj.url,
                organisation=obj.organisation,
                event_types=obj.type_set,
                by=request.user,
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        obj.pk, obj.secret, obj.since_change = endpoint.pk, endpoint.secret, endpoint.since_change
        obj._state.adding = False
        messages.warning(
            request,
            _("The signing secret, shown only now — copy it to the partner: %(secret)s")
            % {"secret": secret},
        )

    @admin.action(description=gettext_lazy("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            _rotated, secret = webhooks.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk)
            messages.warning(
                request,
                _(
                    "New secret for %(endpoint)s, shown only now (the old one signs too for "
                    "%(hours)s h): %(secret)s"
                )
                % {
                    "endpoint": endpoint.name,
                    "hours": settings.WEBHOOK_SECRET_OVERLAP_HOURS,
                    "secret": secret,
                },
            )

    @admin.action(
        description=gettext_lazy("Disable the selected endpoints"), permissions=["change"]
    )
    def disable(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_disable(
                endpoint_id=endpoint.pk, reason=f"Disabled by {request.user}"
            )
        self.message_user(
            request,
            _("Disabled %(count)d endpoint(s).") % {"count": queryset.count()},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Enable the selected endpoints"), permissions=["change"])
    def enable(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_enable(endpoint_id=endpoint.pk)
        self.message_user(
            request,
            _("Enabled %(count)d endpoint(s).") % {"count": queryset.count()},
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was sent to whom, the answers, and what waits for a retry."""

    list_display = (
        "created_at", "endpoint", "event_type", "object_id", "state", "attempts",
        "last_status_code", "next_attempt_at", "delivered_at",
    )  # fmt: skip
    list_filter = ("state", "event_type", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("endpoint__name", "=object_id", "last_error")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(
        description=gettext_lazy("Send the selected deliveries again now"), permissions=["view"]
    )
    def send_again(self, request, queryset):
        if not request.user.has_perm("api.change_webhookdelivery"):
            raise PermissionDenied
        done = 0
        for delivery in queryset:
            try:
                webhooks.webhook_delivery_retry(delivery_id=delivery.pk)
                done += 1
            except ValidationError as error:
                self.message_user(
                    request, labelled(str(delivery), error.messages[0]), messages.ERROR
                )
        self.message_user(
            request, _("Queued %(count)d deliveries again.") % {"count": done}, messages.SUCCESS
        )


# --- Feeds -------------------------------------------------------------------------------------


FILTERS = {"kind": "kinds", "status": "statuses", "visibility": "visibilities"}


class FeedForm(forms.ModelForm):
    kind_list = forms.MultipleChoiceField(
        label=gettext_lazy("Kinds"), choices=Event.Kind.choices, required=False, widget=CHECKBOXES
    )
    status_list = forms.MultipleChoiceField(
        label=gettext_lazy("Statuses"),
        choices=[c for c in Event.Status.choices if c[0] != Event.Status.CANCELLED],
        required=False,
        widget=CHECKBOXES,
        help_text=gettext_lazy("None: all but draft. Cancelled events are never in a feed."),
    )
    visibility_list = forms.MultipleChoiceField(
        label=gettext_lazy("Visibilities"),
        choices=Event.Visibility.choices,
        required=False,
        widget=CHECKBOXES,
    )

    class Meta:
        model = Feed
        fields = [
            "name", "owner_organisation", "owner_user", "site", "facility", "organisation",
            "person",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("kind", "status", "visibility"):
            self.fields[f"{name}_list"].initial = getattr(self.instance, FILTERS[name])

    def clean(self):
        cleaned = super().clean()
        for name, field in FILTERS.items():
            setattr(self.instance, field, sorted(cleaned.get(f"{name}_list") or []))
        return cleaned


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    """Make a feed (its address is shown once), narrow what it shows, revoke it."""

    form = FeedForm
    list_display = (
        "name", "token_hint", "owner_organisation", "owner_user", "site", "facility",
        "organisation", "person", "created_at", "revoked_at",
    )  # fmt: skip
    list_filter = ("revoked_at", "owner_organisation")
    search_fields = ("name", "token_hint", "owner_organisation__name", "owner_user__username")
    list_select_related = (
        "owner_organisation",
        "owner_user",
        "site",
        "facility",
        "organisation",
        "person",
    )
    autocomplete_fields = ("owner_organisation", "organisation", "person", "facility", "site")
    readonly_fields = ("token_hint", "created_by", "created_at", "updated_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # Whose eyes a feed sees with is fixed when it is made: make another instead.
        fixed = ("owner_organisation", "owner_user") if obj is not None else ()
        return (*self.readonly_fields, *fixed)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            feed, token = feeds.feed_create(
                name=obj.name,
                owner_organisation=obj.owner_organisation,
                owner_user=obj.owner_user,
                site=obj.site,
                facility=obj.facility,
                organisation=obj.organisation,
                person=obj.person,
                kinds=obj.kinds,
                statuses=obj.statuses,
                visibilities=obj.visibilities,
                by=request.user,
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        obj.pk, obj.token_hash, obj.token_hint = feed.pk, feed.token_hash, feed.token_hint
        obj._state.adding = False
        messages.warning(
            request,
            _("The feed's address, shown only now — give it to the subscriber: %(url)s")
            % {"url": feeds.feed_url(token)},
        )

    @admin.action(description=gettext_lazy("Revoke the selected feeds"), permissions=["change"])
    def revoke(self, request, queryset):
        for feed in queryset:
            feeds.feed_revoke(feed_id=feed.pk)
        self.message_user(
            request,
            _("Revoked %(count)d feed(s).") % {"count": queryset.count()},
            messages.SUCCESS,
        )
