"""Celery tasks of the webhooks app. Each takes ids and calls a service."""

from celery import shared_task
from django.db import DatabaseError

from services import webhooks

RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


@shared_task(acks_late=True, **RETRY)
def send_webhook_messages(message_ids: list[int]) -> None:
    """The messages one change emitted, each handed to a worker of its own."""
    webhooks.webhook_messages_dispatch(message_ids=message_ids)


@shared_task(acks_late=True, **RETRY)
def send_webhook_message(message_id: int) -> bool:
    """Idempotent: a message that is not due, or held by another worker, is skipped."""
    return webhooks.webhook_message_send(message_id=message_id) is not None


@shared_task(**RETRY)
def sweep_webhook_messages() -> int:
    return webhooks.webhook_messages_sweep()
