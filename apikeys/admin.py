from django import forms
from django.contrib import admin, messages
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from apikeys.models import ApiKey
from logitrack.admin_mixins import ServiceFormMixin, ServiceModelAdmin
from logitrack.permissions import is_admin_user
from services.api_keys import api_key_create, api_key_revoke

# The library's own model is not used: LogiTrack's keys have a role and an account.
admin.site.unregister(APIKey)

KEY_CREATED = (
    "The API key for {name} is: {key} — store it somewhere safe: it will not be shown again."
)
ADD_FIELDS = ("name", "role", "expiry_date")
SHOWN_FIELDS = ("name", "prefix", "role", "user", "created", "last_used_at", "expiry_date")


class ApiKeyAdminForm(ServiceFormMixin, forms.ModelForm):
    """Creates a key (``secret`` holds it for the page that shows it once) or revokes
    one; nothing else about a key changes."""

    error_fields = {"expires_at": "expiry_date"}
    secret = ""

    class Meta:
        model = ApiKey
        fields = (*ADD_FIELDS, "revoked")

    def save_through_service(self) -> ApiKey:
        if self.instance.pk is None:
            api_key, self.secret = api_key_create(
                name=self.cleaned_data["name"],
                role=self.cleaned_data["role"],
                expires_at=self.cleaned_data.get("expiry_date"),
            )
            return api_key
        if self.cleaned_data.get("revoked"):
            return api_key_revoke(api_key=self.instance)
        return self.instance


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceModelAdmin, APIKeyModelAdmin):
    """Admins only. A key is revoked, never deleted: what it did keeps its actor."""

    form = ApiKeyAdminForm
    may_use = staticmethod(is_admin_user)
    list_display = (  # type: ignore[assignment]  # the library's is typed as its literal
        "prefix",
        "name",
        "role",
        "created",
        "last_used_at",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("role", "revoked", "created")  # type: ignore[assignment]  # as above

    def get_fields(self, request, obj=None):
        return ADD_FIELDS if obj is None else (*SHOWN_FIELDS, "revoked")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*SHOWN_FIELDS, "revoked") if obj.revoked else SHOWN_FIELDS

    def save_model(self, request, obj, form=None, change=False) -> None:
        if form.secret:
            message = KEY_CREATED.format(name=obj.name, key=form.secret)
            self.message_user(request, message, messages.WARNING)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
