import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook
from werkzeug import Request, Response

from deliveries.tests.factories import DeliveryFactory, delivery_body
from fleet.tests.factories import VehicleFactory
from logitrack.celery import app
from services import deliveries as delivery_services
from services import fleet as fleet_services
from services import webhooks as webhook_services
from webhooks.guard import NOT_PUBLIC
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/v1/deliveries/"
WEBHOOKS = "/api/v1/webhooks/"


def _received(httpserver) -> list[Request]:
    return [request for request, _ in httpserver.log]


def _make_due() -> None:
    """The retries' waits have passed."""
    WebhookMessage.objects.filter(next_attempt_at__isnull=False).update(
        next_attempt_at=timezone.now()
    )


def test_a_new_delivery_reaches_the_receiver_signed(
    endpoint_for, httpserver, dispatcher_client, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(["delivery.created"])
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")

    with django_capture_on_commit_callbacks(execute=True):
        created = dispatcher_client.post(DELIVERIES, delivery_body(), format="json")

    [request] = _received(httpserver)
    message = Webhook(endpoint.secret).verify(request.get_data(), dict(request.headers))
    assert message["type"] == "delivery.created"
    assert message["data"] == dispatcher_client.get(f"{DELIVERIES}{created.json()['id']}/").json()
    assert dt.datetime.fromisoformat(message["timestamp"]).tzinfo is not None
    assert request.headers["webhook-id"].startswith("msg_")
    with pytest.raises(Exception, match="signature"):
        Webhook(webhook_services.webhook_secret_new()).verify(
            request.get_data(), dict(request.headers)
        )


def test_a_status_change_carries_both_statuses_and_goes_only_where_wanted(
    endpoint_for, httpserver, dispatcher, django_capture_on_commit_callbacks
):
    endpoint_for(["delivery.status_changed"], path="/moves")
    endpoint_for(["vehicle.maintenance_started"], path="/fleet")
    WebhookEndpoint.objects.create(
        url=httpserver.url_for("/off"), events=["*"], secret="whsec_AAAA", is_active=False
    )
    httpserver.expect_request("/moves").respond_with_data("ok")
    delivery = DeliveryFactory(assigned=True)

    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.delivery_start(delivery=delivery, actor=dispatcher)

    [request] = _received(httpserver)
    assert request.path == "/moves"
    data = request.get_json()["data"]
    assert (data["from_status"], data["to_status"], data["status"]) == (
        "assigned",
        "in_transit",
        "in_transit",
    )
    assert data["tracking_code"] == delivery.tracking_code


def test_maintenance_start_and_end_send_the_vehicle(
    endpoint_for, httpserver, dispatcher, django_capture_on_commit_callbacks
):
    endpoint_for(["vehicle.maintenance_started", "vehicle.maintenance_ended"])
    httpserver.expect_request("/hook").respond_with_data("ok")
    vehicle = VehicleFactory()

    with django_capture_on_commit_callbacks(execute=True):
        fleet_services.vehicle_start_maintenance(vehicle=vehicle, reason="Tyres", actor=dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        fleet_services.vehicle_end_maintenance(vehicle=vehicle, actor=dispatcher)

    bodies = [request.get_json() for request in _received(httpserver)]
    assert [(b["type"], b["data"]["status"]) for b in bodies] == [
        ("vehicle.maintenance_started", "in_maintenance"),
        ("vehicle.maintenance_ended", "available"),
    ]
    assert bodies[0]["data"]["plate_number"] == vehicle.plate_number


def test_emitting_is_one_query_without_endpoints_and_two_with_them(
    endpoint_for, django_assert_num_queries
):
    with transaction.atomic(), django_assert_num_queries(1):
        assert webhook_services.webhook_emit(event_type="delivery.late", data={"id": 1}) == 0

    for _ in range(20):
        endpoint_for(["delivery.late"])
    endpoint_for(["delivery.created"])
    with transaction.atomic(), django_assert_num_queries(2):
        assert webhook_services.webhook_emit(event_type="delivery.late", data={"id": 1}) == 20
    assert WebhookMessage.objects.count() == 20


def test_a_failed_message_is_sent_again_and_both_attempts_are_logged(
    endpoint_for, httpserver, dispatcher_client, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for()
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)

    with django_capture_on_commit_callbacks(execute=True):
        ping = dispatcher_client.post(f"{WEBHOOKS}{endpoint.pk}/ping/")
    assert ping.status_code == 202
    first = dispatcher_client.get(f"{WEBHOOKS}{endpoint.pk}/attempts/").json()["results"]
    assert [(a["attempt"], a["status_code"]) for a in first] == [(1, 500)]
    waited = dt.datetime.fromisoformat(first[0]["next_retry_at"]) - dt.datetime.fromisoformat(
        first[0]["at"]
    )
    assert dt.timedelta(seconds=4) < waited < dt.timedelta(seconds=7)

    assert webhook_services.webhook_messages_sweep() == 0  # not due for 5 s
    _make_due()
    assert webhook_services.webhook_messages_sweep() == 1

    requests = _received(httpserver)
    assert len(requests) == 2
    assert {r.headers["webhook-id"] for r in requests} == {ping.json()["message_id"]}
    attempts = dispatcher_client.get(f"{WEBHOOKS}{endpoint.pk}/attempts/").json()["results"]
    assert [(a["attempt"], a["status_code"], a["next_retry_at"]) for a in attempts] == [
        (2, 200, None),
        (1, 500, first[0]["next_retry_at"]),
    ]
    assert attempts[0]["message_id"] == ping.json()["message_id"]
    assert attempts[0]["event_type"] == "webhook.ping"
    assert attempts[1]["error"] == "The receiver answered 500."
    assert webhook_services.webhook_messages_sweep() == 0


def test_a_message_is_given_up_after_the_last_retry(endpoint_for, httpserver, dispatcher):
    endpoint = endpoint_for()
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    webhook_services.webhook_ping(endpoint=endpoint, actor=dispatcher)

    for _ in range(7):
        _make_due()
        webhook_services.webhook_messages_sweep()

    delays = [
        a.next_retry_at - a.at if a.next_retry_at else None
        for a in WebhookAttempt.objects.order_by("attempt")
    ]
    assert [round(d.total_seconds()) if d else None for d in delays] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        None,
    ]
    assert len(_received(httpserver)) == 7
    _make_due()
    assert webhook_services.webhook_messages_sweep() == 0


def test_broker_down_at_commit_the_sweep_sends_it_once(
    endpoint_for, httpserver, dispatcher_client, dead_broker, django_capture_on_commit_callbacks
):
    endpoint_for(["delivery.created"])
    httpserver.expect_request("/hook").respond_with_data("ok")

    with django_capture_on_commit_callbacks(execute=True):
        created = dispatcher_client.post(DELIVERIES, delivery_body(), format="json")

    assert created.status_code == 201
    assert _received(httpserver) == []
    app.conf.task_always_eager = True  # the broker is back (tasks run here)
    assert webhook_services.webhook_messages_sweep() == 1
    assert webhook_services.webhook_messages_sweep() == 0
    [request] = _received(httpserver)
    assert request.get_json()["data"]["tracking_code"] == created.json()["tracking_code"]


def test_a_hanging_receiver_costs_the_worker_the_timeout_not_the_request(
    endpoint_for,
    httpserver,
    dispatcher_client,
    settings,
    broker,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOK_TIMEOUT = 0.5
    endpoint = endpoint_for()

    def hang(request):
        time.sleep(2)
        return Response("late")

    httpserver.expect_request("/hook").respond_with_handler(hang)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        ping = dispatcher_client.post(f"{WEBHOOKS}{endpoint.pk}/ping/")
    assert ping.status_code == 202
    assert time.monotonic() - started < 0.5

    message = WebhookMessage.objects.get()
    started = time.monotonic()
    attempt = webhook_services.webhook_message_send(message_id=message.pk)
    took = time.monotonic() - started

    assert attempt is not None
    assert 0.4 < took < 1.5
    assert attempt.status_code is None
    assert "timed out" in attempt.error.lower()
    assert attempt.next_retry_at is not None


def test_a_name_turning_private_after_saving_is_refused_when_sending(
    resolver, settings, dispatcher, connections, django_capture_on_commit_callbacks
):
    resolver["hooks.example.com"] = ["93.184.216.34"]
    endpoint = webhook_services.webhook_endpoint_create(
        actor=dispatcher, url="https://hooks.example.com/in", events=["*"]
    )
    resolver["hooks.example.com"] = ["10.0.0.5"]

    with django_capture_on_commit_callbacks(execute=True):
        webhook_services.webhook_ping(endpoint=endpoint, actor=dispatcher)

    [attempt] = WebhookAttempt.objects.all()
    assert attempt.status_code is None
    assert NOT_PUBLIC.format(host="hooks.example.com", address="10.0.0.5") in attempt.error
    assert attempt.next_retry_at is not None
    assert [address for address in connections if address[1] in (80, 443)] == []


def test_an_endpoint_failing_every_attempt_for_a_day_is_disabled(
    endpoint_for, httpserver, dispatcher, dispatcher_client, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for()
    httpserver.expect_request("/hook").respond_with_data("down", status=500)

    with django_capture_on_commit_callbacks(execute=True):
        webhook_services.webhook_ping(endpoint=endpoint, actor=dispatcher)
    assert WebhookAttempt.objects.count() == 1
    assert WebhookEndpoint.objects.get().is_active  # failing for a moment only
    WebhookEndpoint.objects.update(failing_since=timezone.now() - dt.timedelta(hours=24, seconds=1))
    _make_due()
    webhook_services.webhook_messages_sweep()

    answer = dispatcher_client.get(f"{WEBHOOKS}{endpoint.pk}/").json()
    assert answer["is_active"] is False
    assert "24 hours" in answer["disabled_reason"]
    assert "500" in answer["disabled_reason"]
    with transaction.atomic():
        assert webhook_services.webhook_emit(event_type="delivery.late", data={}) == 0
    _make_due()
    assert webhook_services.webhook_messages_sweep() == 0


def test_a_success_ends_a_failing_streak(
    endpoint_for, httpserver, dispatcher, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for()
    for status in (500, 200, 500):
        httpserver.expect_ordered_request("/hook").respond_with_data("", status=status)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_services.webhook_ping(endpoint=endpoint, actor=dispatcher)
    WebhookEndpoint.objects.update(failing_since=timezone.now() - dt.timedelta(hours=23))

    _make_due()
    webhook_services.webhook_messages_sweep()  # 200
    WebhookEndpoint.objects.filter(failing_since__isnull=False).update(
        failing_since=timezone.now() - dt.timedelta(hours=25)
    )
    with django_capture_on_commit_callbacks(execute=True):
        webhook_services.webhook_ping(endpoint=endpoint, actor=dispatcher)  # 500 again

    assert [a.status_code for a in WebhookAttempt.objects.order_by("id")] == [500, 200, 500]
    assert WebhookEndpoint.objects.get().is_active
