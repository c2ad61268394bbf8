"""E-mail to a delivery's recipient on every status change, never lost, never twice.

Each ``DeliveryEvent`` starts with ``notified_at`` null. After the change commits a
task is enqueued for it; if the broker is down at that moment the enqueue fails
quietly and the periodic sweep picks the event up later. Sending locks the event
row (``SELECT … FOR UPDATE SKIP LOCKED``) and sets ``notified_at`` in the same
transaction, so two workers never send the same e-mail.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus, overdue_q
from logitrack.celery import enqueue
from users.models import Role, User

logger = logging.getLogger(__name__)

SUBJECT = "Your delivery {code}: {status}"
BODY = (
    "Hello {name},\n\n"
    "Your delivery {code} is now: {status}.\n"
    "Scheduled for: {scheduled}.\n\n"
    "Follow it any time with your tracking code {code}.\n"
)
DIGEST_SUBJECT = "LogiTrack: {count} late deliveries"
DIGEST_INTRO = (
    "Deliveries past their deadline (the end of their time window, else their scheduled "
    "time) and not finished:"
)


def notification_enqueue(*, event: DeliveryEvent) -> None:
    """After commit, asks a worker to send the event's e-mail. A broker that is down
    only logs: the event stays unsent and the sweep sends it later."""
    from deliveries.tasks import send_event_notification

    transaction.on_commit(lambda: enqueue(send_event_notification, event.pk), robust=True)


@transaction.atomic
def delivery_event_notify(*, event_id: int) -> bool:
    """Sends the e-mail of one event unless it went out already.

    Locks the event row, skipping it if another worker holds it. Returns whether this
    call handled the event (sent it, or found no address to send to).
    """
    event = (
        DeliveryEvent.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("delivery")
        .filter(pk=event_id, notified_at__isnull=True)
        .first()
    )
    if event is None:
        return False
    delivery = event.delivery
    if delivery.recipient_email:
        status = DeliveryStatus(event.to_status).label.lower()
        send_mail(
            subject=SUBJECT.format(code=delivery.tracking_code, status=status),
            message=BODY.format(
                name=delivery.recipient_name,
                code=delivery.tracking_code,
                status=status,
                scheduled=f"{delivery.scheduled_for:%Y-%m-%d %H:%M} UTC",
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[delivery.recipient_email],
        )
    DeliveryEvent.objects.filter(pk=event.pk).update(notified_at=timezone.now())
    return True


def notifications_sweep(*, older_than: dt.timedelta = dt.timedelta(seconds=30)) -> int:
    """Sends every notification that never went out (older than ``older_than``, so
    that the after-commit path has had its chance). Returns how many were sent."""
    cutoff = timezone.now() - older_than
    pending = DeliveryEvent.objects.filter(notified_at__isnull=True, at__lte=cutoff)
    sent = 0
    for event_id in pending.order_by("at", "id").values_list("id", flat=True).iterator():
        sent += delivery_event_notify(event_id=event_id)
    return sent


def late_deliveries_digest_send() -> int:
    """E-mails every active dispatcher the deliveries past their deadline and not
    finished. Returns the number of late deliveries reported (0: nothing is sent)."""
    late = list(
        Delivery.objects.filter(overdue_q(timezone.now()))
        .select_related("vehicle")
        .order_by("deadline")
        .values_list("tracking_code", "status", "deadline", "vehicle__plate_number")
    )
    if not late:
        return 0
    recipients = list(
        User.objects.filter(role=Role.DISPATCHER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    lines = [
        f"{code}  {status:<10}  due {when:%Y-%m-%d %H:%M} UTC  vehicle {plate or '-'}"
        for code, status, when, plate in late
    ]
    subject = DIGEST_SUBJECT.format(count=len(late))
    body = DIGEST_INTRO + "\n\n" + "\n".join(lines) + "\n"
    send_mass_mail(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
    )
    return len(late)
