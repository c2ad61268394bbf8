from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from logitrack.fields import StrictModelSerializer, TextField
from webhooks.models import ALL_EVENTS, WEBHOOK_EDITABLE_FIELDS, EventType, WebhookEndpoint

EVENT_NAMES = [*EventType.values, ALL_EVENTS]


@extend_schema_field({"type": "string", "enum": EVENT_NAMES})
class EventTypeField(TextField):
    """An event type, or ``*`` for all (an unknown one: ``400 unknown_event_type``,
    from the service)."""


def _events(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=EventTypeField(max_length=50),
        max_length=len(EVENT_NAMES),
        help_text='The event types sent to this endpoint; `["*"]`: all of them.',
        **kwargs,
    )


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = _events(read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "is_active",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="`whsec_…`: shown this once; signs every message."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(StrictModelSerializer):
    url = TextField(
        max_length=2000,
        help_text="`https://…` whose host resolves to public addresses only "
        "(else `400 webhook_url_not_allowed`).",
    )
    events = _events(allow_empty=False)

    class Meta:
        model = WebhookEndpoint
        fields = list(WEBHOOK_EDITABLE_FIELDS)


class WebhookPingSerializer(serializers.Serializer):
    message_id = serializers.CharField(help_text="The `webhook-id` the ping is sent with.")


class WebhookAttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message_id = serializers.CharField(source="message.public_id")
    event_type = serializers.ChoiceField(choices=EventType.choices, source="message.event_type")
    attempt = serializers.IntegerField(help_text="1 for the first try of the message.")
    status_code = serializers.IntegerField(
        allow_null=True, help_text="The receiver's answer; null when there was none."
    )
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(help_text="Why the attempt failed; empty when it did not.")
    at = serializers.DateTimeField()
    next_retry_at = serializers.DateTimeField(
        allow_null=True, help_text="When the message is tried again; null: it will not be."
    )
