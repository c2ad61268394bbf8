"""Late deliveries: the sweep that marks them (one ``late`` event and one
``delivery.late`` webhook each, once), the daily digest and the on-time rate."""

import datetime as dt
import json
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from deliveries.models import DeliveryEvent, EventKind
from deliveries.tasks import mark_late_deliveries
from deliveries.tests.factories import DeliveryFactory
from services import deliveries as delivery_services
from services.notifications import late_deliveries_digest_send, notifications_sweep
from users.tests.factories import UserFactory
from webhooks.models import EventType, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def ago(delta: dt.timedelta) -> dt.datetime:
    return timezone.now() - delta


@pytest.fixture
def late_endpoint():
    """An endpoint that wants ``delivery.late`` (messages are written, never sent here)."""
    return WebhookEndpoint.objects.create(
        url="https://127.0.0.1/hook", events=[EventType.DELIVERY_LATE], secret="whsec_test"
    )


def late_events():
    return DeliveryEvent.objects.filter(kind=EventKind.LATE)


def late_messages() -> list[dict]:
    return [
        json.loads(body)
        for body in WebhookMessage.objects.filter(event_type=EventType.DELIVERY_LATE)
        .order_by("id")
        .values_list("body", flat=True)
    ]


def test_the_sweep_marks_each_newly_late_delivery_once(late_endpoint):
    overdue = DeliveryFactory(assigned=True, scheduled_for=ago(HOUR))
    window_passed = DeliveryFactory(
        scheduled_for=ago(3 * HOUR), window_start=ago(2 * HOUR), window_end=ago(HOUR)
    )
    DeliveryFactory()  # upcoming
    DeliveryFactory(  # scheduled in the past, but its window is still open
        scheduled_for=ago(HOUR), window_start=ago(HOUR), window_end=timezone.now() + HOUR
    )
    DeliveryFactory(cancelled=True, scheduled_for=ago(HOUR))
    DeliveryFactory(delivered=True, scheduled_for=ago(HOUR), delivered_at=ago(2 * HOUR))

    assert delivery_services.deliveries_mark_late() == 2
    assert delivery_services.deliveries_mark_late() == 0

    events = {event.delivery_id: event for event in late_events()}
    assert set(events) == {overdue.pk, window_passed.pk}
    event = events[overdue.pk]
    assert (event.from_status, event.to_status) == ("assigned", "assigned")
    assert (events[window_passed.pk].from_status, events[window_passed.pk].to_status) == (
        "pending",
        "pending",
    )
    messages = late_messages()
    assert sorted(message["data"]["id"] for message in messages) == sorted(events)
    assert all(message["data"]["is_late"] for message in messages)


def test_a_late_delivery_keeps_its_one_late_event_whatever_happens_next(late_endpoint):
    delivery = DeliveryFactory(in_transit=True, scheduled_for=ago(HOUR))
    delivery_services.deliveries_mark_late()

    delivery_services.delivery_complete(delivery=delivery, actor=None)
    delivery_services.deliveries_mark_late()

    assert late_events().count() == 1
    assert len(late_messages()) == 1


def test_delivered_late_before_the_sweep_saw_it_is_marked_on_completion(late_endpoint):
    delivery = DeliveryFactory(in_transit=True, scheduled_for=ago(dt.timedelta(seconds=20)))

    delivery_services.delivery_complete(delivery=delivery, actor=None)

    assert late_events().get().delivery_id == delivery.pk
    [message] = late_messages()
    assert (message["data"]["status"], message["data"]["is_late"]) == ("delivered", True)
    assert delivery_services.deliveries_mark_late() == 0


def test_delivered_in_time_is_not_marked(late_endpoint):
    delivery = DeliveryFactory(in_transit=True, scheduled_for=timezone.now() + HOUR)

    delivery_services.delivery_complete(delivery=delivery, actor=None)

    assert not late_events().exists()
    assert late_messages() == []


def test_a_late_event_sends_the_recipient_no_email():
    DeliveryFactory(assigned=True, scheduled_for=ago(HOUR))
    delivery_services.deliveries_mark_late()

    assert notifications_sweep(older_than=dt.timedelta(0)) == 0
    assert mail.outbox == []


def test_the_late_event_is_listed_and_tracked(dispatcher_client, anon_client):
    delivery = DeliveryFactory(scheduled_for=ago(HOUR))
    delivery_services.delivery_assign(
        delivery=delivery, vehicle=DeliveryFactory(assigned=True).vehicle, actor=None
    )
    delivery_services.deliveries_mark_late()

    events = dispatcher_client.get(f"/api/v1/deliveries/{delivery.pk}/events/").json()
    tracked = anon_client.get(f"/api/v1/track/{delivery.tracking_code}/").json()["events"]

    assert [(e["kind"], e["from_status"], e["to_status"]) for e in events] == [
        ("status_change", "pending", "assigned"),
        ("late", "assigned", "assigned"),  # the status it had when found late
    ]
    assert [(e["kind"], e["status"]) for e in tracked] == [
        ("status_change", "assigned"),
        ("late", "assigned"),
    ]


def test_the_task_runs_the_sweep():
    DeliveryFactory(scheduled_for=ago(HOUR))

    assert mark_late_deliveries.delay().get() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT ... FOR UPDATE SKIP LOCKED) between connections need PostgreSQL",
)
def test_two_sweeps_at_once_mark_each_delivery_once(late_endpoint, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # messages stay in the outbox
    count = 3 * delivery_services.LATE_SWEEP_BATCH // 2
    for _ in range(count):
        DeliveryFactory(scheduled_for=ago(HOUR))
    barrier = threading.Barrier(2)
    marked: list[int | Exception] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=30)
            marked.append(delivery_services.deliveries_mark_late())
        except Exception as exc:  # a sweep that fails is for the test to report
            marked.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(isinstance(result, int) for result in marked), marked
    assert sum(marked) == count
    assert late_events().count() == count
    assert late_events().values("delivery").distinct().count() == count
    assert len(late_messages()) == count


# The digest and the on-time rate ------------------------------------------------


def test_the_digest_lists_deliveries_past_their_deadline():
    UserFactory(dispatcher=True, email="dispatch@example.com")
    past_window = DeliveryFactory(
        scheduled_for=ago(3 * HOUR), window_start=ago(3 * HOUR), window_end=ago(HOUR)
    )
    DeliveryFactory(  # scheduled in the past, window still open: not late
        scheduled_for=ago(HOUR), window_start=ago(HOUR), window_end=timezone.now() + HOUR
    )
    DeliveryFactory(delivered=True, scheduled_for=ago(HOUR))  # finished

    assert late_deliveries_digest_send() == 1
    [message] = mail.outbox
    assert past_window.tracking_code in message.body
    assert f"due {past_window.window_end:%Y-%m-%d %H:%M} UTC" in message.body


def test_on_time_rate_counts_deliveries_delivered_by_their_deadline(dispatcher_client):
    at = {hours: ago(hours * HOUR) for hours in (1, 2, 3, 4)}
    window = {"window_start": at[4], "window_end": at[2]}
    # After the scheduled time, within the window: on time.
    DeliveryFactory(delivered=True, scheduled_for=at[4], delivered_at=at[3], **window)
    # Exactly at the window's end: on time.
    DeliveryFactory(delivered=True, scheduled_for=at[4], delivered_at=at[2], **window)
    # After the window's end: late.
    DeliveryFactory(delivered=True, scheduled_for=at[4], delivered_at=at[1], **window)
    # No window: after the scheduled time is late.
    DeliveryFactory(delivered=True, scheduled_for=at[2], delivered_at=at[1])

    response = dispatcher_client.get("/api/v1/stats/")

    assert response.json()["on_time_rate"] == 0.5
