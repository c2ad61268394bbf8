import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from deliveries.models import DeliveryEvent
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from services import deliveries as delivery_services
from services import notifications

pytestmark = pytest.mark.django_db


def _create(dispatcher, **fields):
    data = {
        "origin_address": "Depot 1",
        "destination_address": "Main Street 2",
        "recipient_name": "Ada",
        "recipient_email": "ada@example.com",
        "weight_kg": "5.00",
        "scheduled_for": timezone.now() + dt.timedelta(days=1),
        **fields,
    }
    return delivery_services.delivery_create(actor=dispatcher, **data)


def test_each_status_change_sends_exactly_one_email(
    dispatcher, driver, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _create(dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.delivery_assign(
            delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher
        )
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.delivery_start(delivery=delivery, actor=driver)

    assert [m.subject for m in mail.outbox] == [
        notifications.SUBJECT.format(code=delivery.tracking_code, status=status)
        for status in ("pending", "assigned", "in transit")
    ]
    assert all(m.to == ["ada@example.com"] for m in mail.outbox)
    assert not DeliveryEvent.objects.filter(notified_at__isnull=True).exists()


def test_the_email_names_no_one_but_the_recipient(dispatcher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _create(dispatcher, recipient_name="Grace")
    (message,) = mail.outbox
    assert "Grace" in message.body
    assert delivery.tracking_code in message.body


def test_a_delivery_without_email_sends_nothing_but_is_settled(
    dispatcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _create(dispatcher, recipient_email="")
    assert mail.outbox == []
    assert not DeliveryEvent.objects.filter(notified_at__isnull=True).exists()


def test_notifying_twice_sends_once(dispatcher):
    delivery = _create(dispatcher)  # on_commit never runs here: the event stays unsent
    event = delivery.events.get()

    assert notifications.delivery_event_notify(event_id=event.pk) is True
    assert notifications.delivery_event_notify(event_id=event.pk) is False
    assert len(mail.outbox) == 1


def test_sweep_sends_what_was_never_sent_once(dispatcher):
    delivery = _create(dispatcher)
    DeliveryEvent.objects.update(at=timezone.now() - dt.timedelta(minutes=5))

    assert notifications.notifications_sweep() == 1
    assert notifications.notifications_sweep() == 0
    assert [m.to for m in mail.outbox] == [[delivery.recipient_email]]


def test_sweep_leaves_fresh_events_to_the_after_commit_path(dispatcher):
    _create(dispatcher)
    assert notifications.notifications_sweep() == 0
    assert mail.outbox == []


def test_broker_down_does_not_fail_the_change_and_the_sweep_catches_up(
    dispatcher, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = _create(dispatcher)

    assert mail.outbox == []
    event = delivery.events.get()
    assert event.notified_at is None
    DeliveryEvent.objects.update(at=timezone.now() - dt.timedelta(minutes=5))
    assert notifications.notifications_sweep() == 1
    assert len(mail.outbox) == 1


def test_late_digest_goes_to_dispatchers(dispatcher, admin_user):
    late = DeliveryFactory(assigned=True, scheduled_for=timezone.now() - dt.timedelta(hours=3))
    DeliveryFactory(delivered=True, scheduled_for=timezone.now() - dt.timedelta(hours=3))
    DeliveryFactory(scheduled_for=timezone.now() + dt.timedelta(hours=3))

    assert notifications.late_deliveries_digest_send() == 1
    (message,) = mail.outbox
    assert message.to == [dispatcher.email]
    assert message.subject == notifications.DIGEST_SUBJECT.format(count=1)
    assert late.tracking_code in message.body


def test_no_digest_when_nothing_is_late(dispatcher):
    DeliveryFactory(scheduled_for=timezone.now() + dt.timedelta(hours=3))
    assert notifications.late_deliveries_digest_send() == 0
    assert mail.outbox == []
