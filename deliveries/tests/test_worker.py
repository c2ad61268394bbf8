"""Tasks on a real Celery worker with a real Redis broker (not eager).

The worker runs in a thread of the test process (celery.contrib.testing), against a
redis-server of the test's own that the broker-down test stops and starts again.

PostgreSQL only: on the SQLite test database (in memory, shared between threads) a read
by the test while the worker writes locks the table, and the worker's write fails at
once ("database table is locked") instead of waiting. A real worker never runs on SQLite
(the embedded defaults run tasks in-process).
"""

import csv
import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.utils import timezone

from conftest import reset_broker_connections
from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus, Report, ReportStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from logitrack.celery import app
from services import deliveries as delivery_services
from services import notifications, reports

pytestmark = [
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker thread's writes beside the test's reads need PostgreSQL",
    ),
]


@pytest.fixture
def worker(broker):
    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
    ) as running:
        yield running


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.1)


def _bulk_deliveries(count: int, status: str) -> None:
    when = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            tracking_code=f"LTW{i:010d}",
            status=status,
            origin_address=f"Depot {i}",
            destination_address=f"Street {i}",
            recipient_name=f"Recipient {i}",
            weight_kg=Decimal("1.00"),
            scheduled_for=when,
        )
        for i in range(count)
    )


def test_a_report_of_thousands_of_rows_is_built_by_the_worker(worker, dispatcher):
    _bulk_deliveries(3000, DeliveryStatus.PENDING)
    DeliveryFactory.create_batch(3, cancelled=True)

    report = reports.report_create(
        kind="deliveries_csv", filters={"status": ["pending"]}, actor=dispatcher
    )
    wait_for(lambda: Report.objects.get(pk=report.pk).status == ReportStatus.DONE)

    report.refresh_from_db()
    assert (report.progress, report.row_count) == (100, 3000)
    with reports.report_open(report=report) as handle:
        rows = list(csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8")))
    assert len(rows) == 3000
    assert {row["status"] for row in rows} == {"pending"}
    assert {row["tracking_code"] for row in rows} == {f"LTW{i:010d}" for i in range(3000)}


def test_a_status_change_sends_exactly_one_email(worker, dispatcher, driver):
    delivery = DeliveryFactory(recipient_email="ada@example.com")
    vehicle = VehicleFactory()

    delivery_services.delivery_assign(
        delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher
    )
    wait_for(lambda: not DeliveryEvent.objects.filter(notified_at__isnull=True).exists())
    time.sleep(0.5)  # a second e-mail, if any, would have arrived by now

    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert "assigned" in mail.outbox[0].subject


def test_broker_down_then_back_the_sweep_sends_once(broker, dispatcher, driver):
    delivery = DeliveryFactory(recipient_email="ada@example.com")
    vehicle = VehicleFactory()
    broker.stop()

    started = time.monotonic()
    delivery_services.delivery_assign(
        delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher
    )
    elapsed = time.monotonic() - started

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ASSIGNED  # the change committed
    assert elapsed < 3, f"a down broker held the change for {elapsed:.1f}s"
    event = delivery.events.get(to_status=DeliveryStatus.ASSIGNED)
    assert event.notified_at is None
    assert mail.outbox == []

    broker.start()
    DeliveryEvent.objects.filter(pk=event.pk).update(at=timezone.now() - dt.timedelta(minutes=5))
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        from deliveries.tasks import sweep_notifications

        reset_broker_connections()  # the pool still holds the connections that failed
        sweep_notifications.delay()
        wait_for(lambda: DeliveryEvent.objects.get(pk=event.pk).notified_at is not None)
        sweep_notifications.delay()
        time.sleep(1)

    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert notifications.notifications_sweep() == 0
