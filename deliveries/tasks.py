"""Celery tasks of the deliveries app. Each takes ids and calls a service."""

from celery import shared_task
from django.db import DatabaseError

from services import deliveries as delivery_services
from services import notifications, reports

# Retries: transient database or mail-server trouble, with backoff, capped.
RETRY = {
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(acks_late=True, **RETRY)
def send_event_notification(event_id: int) -> bool:
    """Idempotent: an event already notified is skipped."""
    return notifications.delivery_event_notify(event_id=event_id)


@shared_task(acks_late=True, **RETRY)
def sweep_notifications() -> int:
    return notifications.notifications_sweep()


@shared_task(**RETRY)
def send_late_deliveries_digest() -> int:
    return notifications.late_deliveries_digest_send()


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3540, **RETRY)
def build_report(report_id: int) -> str:
    """Idempotent: a report that is already done is left as it is."""
    return reports.report_build(report_id=report_id)


@shared_task(acks_late=True, **RETRY)
def mark_late_deliveries() -> int:
    """Safe to run twice at once: each delivery is marked by one sweep only."""
    return delivery_services.deliveries_mark_late()
