"""Webhook endpoints, the outbox of messages to send them, and the log of every attempt."""

from django.db import models
from django.db.models import Q


class EventType(models.TextChoices):
    DELIVERY_CREATED = "delivery.created"
    DELIVERY_STATUS_CHANGED = "delivery.status_changed"
    DELIVERY_LATE = "delivery.late"
    DELIVERY_PROOF_ADDED = "delivery.proof_added"
    VEHICLE_MAINTENANCE_STARTED = "vehicle.maintenance_started"
    VEHICLE_MAINTENANCE_ENDED = "vehicle.maintenance_ended"
    VEHICLE_MAINTENANCE_DUE = "vehicle.maintenance_due"
    VEHICLE_DOCUMENT_EXPIRING = "vehicle.document_expiring"
    WEBHOOK_PING = "webhook.ping"


# ``events: ["*"]``: every event type.
ALL_EVENTS = "*"
WEBHOOK_EDITABLE_FIELDS = ("url", "events", "description", "is_active")


class WebhookEndpoint(models.Model):
    """A receiver staff registered, the event types it wants and the secret that signs
    what it is sent (``whsec_…``, kept to sign, shown to staff once)."""

    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    # The first failed attempt since the last success (null: not failing).
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookMessage(models.Model):
    """One event for one endpoint: the exact body that is signed and sent, and when it is
    due (``next_attempt_at``; null once delivered or given up)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    # The ``webhook-id`` header: receivers use it to drop a message they already have.
    public_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=50)
    body = models.TextField()
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False),
                name="webhook_message_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.event_type}"


class WebhookAttempt(models.Model):
    """One try to send a message: the receiver's status code, or why there was none."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="+")
    attempt = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["endpoint", "-at"], name="webhook_attempt_endpoint")]

    def __str__(self) -> str:
        return f"attempt {self.attempt} of message {self.message_id}"
