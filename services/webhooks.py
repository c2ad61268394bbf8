"""Webhooks: endpoints staff register, the events LogiTrack emits to them, and sending.

Emitting (``webhook_emit``) writes one ``WebhookMessage`` per active endpoint that wants
the event, in the caller's transaction (one query finds them, one insert writes them);
after commit one task is enqueued that hands each message to a worker. A message whose
task was never enqueued (broker down) or whose retry falls due is sent by the sweep
(``webhook_messages_sweep``, every ``WEBHOOK_SWEEP_SECONDS``).

Sending claims the message with one conditional ``UPDATE`` (due, endpoint active) that
moves its due time past the attempt's time limit, so two workers never send it at once
and a worker that dies mid-send leaves it to the sweep: at least once, never lost. The
URL is checked again (``webhooks.guard``) and the checked address is the one connected
to. A failure (no 2xx, a timeout, a refused connection, a refused address) is retried
after each of ``RETRY_DELAYS``; an endpoint whose every attempt failed for
``DISABLE_AFTER`` is disabled.
"""

import base64
import datetime as dt
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook
from urllib3.exceptions import HTTPError

from deliveries.rendering import dumps
from logitrack.celery import enqueue
from services.common import lock, model_update
from services.exceptions import UnknownEventType, WebhookEndpointInactive, WebhookUrlNotAllowed
from users.models import User
from webhooks import guard, sender
from webhooks.models import (
    ALL_EVENTS,
    WEBHOOK_EDITABLE_FIELDS,
    EventType,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)

RETRY_DELAYS = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
)
DISABLE_AFTER = dt.timedelta(hours=24)
DISABLED_REASON = "Every attempt failed for 24 hours; the last: {error}"
# How long a claimed message is left to its worker before the sweep may send it again.
CLAIM_MARGIN = dt.timedelta(seconds=30)
SWEEP_BATCH = 500


def webhook_secret_new() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_events(events: list[str]) -> None:
    for event in events:
        if event != ALL_EVENTS and event not in EventType.values:
            raise UnknownEventType(event=repr(event), attr="events")


@transaction.atomic
def webhook_endpoint_create(*, actor: User | None, **fields: Any) -> WebhookEndpoint:
    """A new endpoint with a new secret. Resolves the URL's host (``400
    webhook_url_not_allowed`` unless it is a public address)."""
    _check_events(fields.get("events", []))
    guard.resolve(fields.get("url", ""))
    endpoint = WebhookEndpoint(
        **{name: fields[name] for name in WEBHOOK_EDITABLE_FIELDS if name in fields},
        secret=webhook_secret_new(),
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, actor: User | None, **fields: Any
) -> WebhookEndpoint:
    """Changes an endpoint under its row lock; a new URL is checked as on creation, and
    turning it on again forgets why it was disabled and its failures."""
    locked = lock(endpoint)
    _check_events(fields.get("events", []))
    if "url" in fields and fields["url"] != locked.url:
        guard.resolve(fields["url"])
    if fields.get("is_active") and not locked.is_active:
        locked.disabled_reason = ""
        locked.failing_since = None
        locked.save(update_fields=["disabled_reason", "failing_since"])
    model_update(instance=locked, fields=WEBHOOK_EDITABLE_FIELDS, data=fields)
    return locked


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User | None) -> None:
    """Deletes the endpoint with its messages and attempts."""
    lock(endpoint).delete()


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor: User | None) -> WebhookEndpoint:
    """A new secret; messages not yet sent are signed with it."""
    locked = lock(endpoint)
    locked.secret = webhook_secret_new()
    locked.save(update_fields=["secret"])
    return locked


def _message_body(event_type: str, data: Mapping[str, Any]) -> str:
    body = {"type": event_type, "timestamp": timezone.now(), "data": data}
    return dumps(body).decode()


def _queue(event_type: str, data: Mapping[str, Any], endpoint_ids: list[int]) -> list[int]:
    """Writes one message per endpoint; after commit, one task sends them."""
    from webhooks.tasks import send_webhook_messages

    body = _message_body(event_type, data)
    now = timezone.now()
    messages = WebhookMessage.objects.bulk_create(
        WebhookMessage(
            endpoint_id=endpoint_id,
            public_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            body=body,
            created_at=now,
            next_attempt_at=now,
        )
        for endpoint_id in endpoint_ids
    )
    ids = [message.pk for message in messages]
    transaction.on_commit(lambda: enqueue(send_webhook_messages, ids), robust=True)
    return ids


def webhook_emit(
    *, event_type: str, data: Mapping[str, Any] | Callable[[], Mapping[str, Any]]
) -> int:
    """Sends ``event_type`` with ``data`` (the delivery or vehicle as the API renders it,
    or a function returning it, called only when some endpoint wants the event) to every
    active endpoint that wants it, once the caller's transaction commits. Call it inside
    the transaction that makes the change. Returns how many messages were written."""
    if event_type not in EventType.values:
        raise ValueError(f"Unknown webhook event type {event_type!r}")
    wanted = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(is_active=True).values_list("pk", "events")
        if event_type in events or ALL_EVENTS in events
    ]
    if not wanted:
        return 0
    return len(_queue(event_type, data() if callable(data) else data, wanted))


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint, actor: User | None) -> WebhookMessage:
    """A ``webhook.ping`` message to this endpoint alone, sent after commit; ``409
    webhook_endpoint_inactive`` while it is disabled."""
    locked = lock(endpoint)
    if not locked.is_active:
        raise WebhookEndpointInactive()
    data = {"endpoint_id": locked.pk, "url": locked.url}
    [message_id] = _queue(EventType.WEBHOOK_PING, data, [locked.pk])
    return WebhookMessage.objects.get(pk=message_id)


def _claim(message_id: int) -> WebhookMessage | None:
    """The message, if it is due and its endpoint active, now held by this worker until
    its attempt's time limit and ``CLAIM_MARGIN`` pass; otherwise ``None``."""
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT) + CLAIM_MARGIN
    claimed = WebhookMessage.objects.filter(
        pk=message_id, next_attempt_at__lte=now, endpoint__is_active=True
    ).update(next_attempt_at=now + lease, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return WebhookMessage.objects.select_related("endpoint").get(pk=message_id)


def _signed_headers(message: WebhookMessage) -> dict[str, str]:
    now = dt.datetime.now(tz=dt.UTC)
    signature = Webhook(message.endpoint.secret).sign(message.public_id, now, message.body)
    return {
        "webhook-id": message.public_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def _attempt(message: WebhookMessage) -> tuple[int | None, str]:
    """Sends the message once: the receiver's status code and, on failure, why."""
    try:
        target = guard.resolve(message.endpoint.url)
        status = sender.post(
            target=target,
            body=message.body.encode(),
            headers=_signed_headers(message),
            timeout=settings.WEBHOOK_TIMEOUT,
        )
    except WebhookUrlNotAllowed as exc:
        return None, exc.detail
    except HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= status < 300:  # noqa: PLR2004 - the 2xx range
        return status, ""
    return status, f"The receiver answered {status}."


def _endpoint_failed(endpoint: WebhookEndpoint, *, since: dt.datetime, error: str) -> None:
    """Counts a failed attempt begun at ``since``; disables the endpoint (and drops its
    unsent messages) once it has failed every attempt for ``DISABLE_AFTER``."""
    locked = lock(endpoint)
    if locked.failing_since is None:
        locked.failing_since = since
        locked.save(update_fields=["failing_since"])
    elif locked.is_active and timezone.now() - locked.failing_since >= DISABLE_AFTER:
        locked.is_active = False
        locked.disabled_reason = DISABLED_REASON.format(error=error)[:300]
        locked.save(update_fields=["is_active", "disabled_reason"])
        WebhookMessage.objects.filter(endpoint=locked, next_attempt_at__isnull=False).update(
            next_attempt_at=None
        )


@transaction.atomic
def _record(
    message: WebhookMessage, *, started: dt.datetime, duration_ms: int, result: tuple
) -> WebhookAttempt:
    status_code, error = result
    now = timezone.now()
    retry_in = RETRY_DELAYS[message.attempts - 1] if message.attempts <= len(RETRY_DELAYS) else None
    next_retry_at = None if not error or retry_in is None else now + retry_in
    WebhookMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=next_retry_at, delivered_at=None if error else now
    )
    if error:
        _endpoint_failed(message.endpoint, since=started, error=error)
    else:
        WebhookEndpoint.objects.filter(pk=message.endpoint_id, failing_since__isnull=False).update(
            failing_since=None
        )
    return WebhookAttempt.objects.create(
        endpoint_id=message.endpoint_id,
        message=message,
        attempt=message.attempts,
        status_code=status_code,
        duration_ms=duration_ms,
        error=error,
        at=started,
        next_retry_at=next_retry_at,
    )


def webhook_message_send(*, message_id: int) -> WebhookAttempt | None:
    """Sends one message if it is due (and no other worker holds it) and records the
    attempt, which it returns; ``None`` when there was nothing to send."""
    message = _claim(message_id)
    if message is None:
        return None
    started = timezone.now()
    clock = time.monotonic()
    result = _attempt(message)
    duration_ms = round((time.monotonic() - clock) * 1000)
    return _record(message, started=started, duration_ms=duration_ms, result=result)


def webhook_messages_dispatch(*, message_ids: list[int]) -> None:
    """Hands each message to a worker of its own, so a slow receiver delays no other.
    A message the broker does not take waits for the sweep."""
    from webhooks.tasks import send_webhook_message

    for message_id in message_ids:
        enqueue(send_webhook_message, message_id)


def webhook_messages_sweep() -> int:
    """Dispatches every due message (never enqueued, a retry due, or left by a worker
    that died); returns how many."""
    due = list(
        WebhookMessage.objects.filter(next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    webhook_messages_dispatch(message_ids=due)
    return len(due)
