from django import forms
from django.contrib import admin, messages

from logitrack.admin_mixins import (
    ReadOnlyTabularInline,
    ServiceFormMixin,
    ServiceModelAdmin,
    StaffAccessMixin,
)
from services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
    webhook_secret_rotate,
)
from webhooks.models import WEBHOOK_EDITABLE_FIELDS, WebhookAttempt, WebhookEndpoint
from webhooks.serializers import EVENT_NAMES

SECRET_SHOWN_ONCE = "The secret of {url} is {secret}: copy it now, it is not shown again."  # noqa: S105 - a message, not a secret


class WebhookEndpointAdminForm(ServiceFormMixin, forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENT_NAMES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = WEBHOOK_EDITABLE_FIELDS

    def save_through_service(self) -> WebhookEndpoint:
        fields = self.cleaned_values(WEBHOOK_EDITABLE_FIELDS)
        if self.instance.pk is None:
            return webhook_endpoint_create(actor=self.actor, **fields)
        return webhook_endpoint_update(endpoint=self.instance, actor=self.actor, **fields)


class WebhookAttemptInline(ReadOnlyTabularInline):
    model = WebhookAttempt
    fields = ("at", "message", "attempt", "status_code", "duration_ms", "error", "next_retry_at")
    ordering = ("-at", "-id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("message")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceModelAdmin):
    form = WebhookEndpointAdminForm
    list_display = ("url", "description", "is_active", "disabled_reason", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    readonly_fields = ("disabled_reason", "created_at")
    inlines = (WebhookAttemptInline,)
    actions = ("rotate_secret",)
    instance_kwarg = "endpoint"
    delete_service = staticmethod(webhook_endpoint_delete)

    def response_add(self, request, obj, post_url_continue=None):
        self._show_secret(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def _show_secret(self, request, endpoint: WebhookEndpoint) -> None:
        self.message_user(
            request,
            SECRET_SHOWN_ONCE.format(url=endpoint.url, secret=endpoint.secret),
            messages.WARNING,
        )

    @admin.action(description="Rotate the secret (the new one is shown once)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            self._show_secret(request, webhook_secret_rotate(endpoint=endpoint, actor=request.user))


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(StaffAccessMixin, admin.ModelAdmin):
    """The log of every attempt, read-only."""

    list_display = ("at", "endpoint", "message", "attempt", "status_code", "duration_ms", "error")
    list_filter = ("status_code",)
    list_select_related = ("endpoint", "message")
    ordering = ("-at", "-id")

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
