"""API keys in the back office: make one (its token is shown once), see when it was used, revoke."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .models import ApiKey, Scope


class ApiKeyForm(forms.ModelForm):
    scope_list = forms.MultipleChoiceField(
        label="Scopes", choices=Scope.choices, widget=forms.CheckboxSelectMultiple
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
            f"The key's token, shown only now — copy it to the partner: {token}",
        )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for key in queryset:
            services.api_key_revoke(key_id=key.pk)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
