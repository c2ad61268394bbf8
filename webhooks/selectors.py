from django.db.models import QuerySet

from webhooks.models import WebhookAttempt, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("id")


def webhook_attempt_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookAttempt]:
    """The endpoint's attempts, newest first, each with its message."""
    return (
        WebhookAttempt.objects.filter(endpoint=endpoint)
        .select_related("message")
        .order_by("-at", "-id")
    )
