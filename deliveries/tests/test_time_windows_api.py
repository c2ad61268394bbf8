"""Time windows on deliveries, and what the API says about lateness: ``is_late``,
``late_by_minutes`` and the ``?late=`` filter of the list and of reports."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory, delivery_body
from logitrack.fields import NAIVE_DATETIME, OUT_OF_RANGE_DATETIME
from services.exceptions import InvalidTimeWindow

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/deliveries/"
START = "2030-01-01T09:00:00Z"
END = "2030-01-01T11:00:00Z"


def detail_url(delivery) -> str:
    return f"{LIST_URL}{delivery.pk}/"


def errors_of(response) -> list[tuple[str, str | None]]:
    return [(error["code"], error["attr"]) for error in response.json()["errors"]]


def test_a_delivery_is_created_with_its_window(dispatcher_client):
    response = dispatcher_client.post(
        LIST_URL, delivery_body(window_start=START, window_end=END), format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["window_start"], body["window_end"]) == (START, END)
    assert (body["is_late"], body["late_by_minutes"]) == (False, None)
    assert Delivery.objects.get(pk=body["id"]).window_end == dt.datetime(
        2030, 1, 1, 11, tzinfo=dt.UTC
    )


def test_without_a_window_both_ends_are_null(dispatcher_client):
    response = dispatcher_client.post(LIST_URL, delivery_body(), format="json")

    assert response.status_code == 201
    assert (response.json()["window_start"], response.json()["window_end"]) == (None, None)


@pytest.mark.parametrize(
    ("window", "attr"),
    [
        ({"window_start": START}, "window_end"),
        ({"window_end": END}, "window_start"),
        ({"window_start": START, "window_end": None}, "window_end"),
        ({"window_start": END, "window_end": START}, "window_end"),
        ({"window_start": START, "window_end": START}, "window_end"),
    ],
)
def test_a_window_needs_both_ends_the_end_after_the_start(dispatcher_client, window, attr):
    response = dispatcher_client.post(LIST_URL, delivery_body(**window), format="json")

    assert response.status_code == 400
    assert errors_of(response) == [(InvalidTimeWindow.code, attr)]
    assert response.json()["errors"][0]["detail"] == InvalidTimeWindow.message
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("window_end", "detail"),
    [
        ("2100-01-01T00:00:00Z", OUT_OF_RANGE_DATETIME),
        ("1999-12-31T23:59:59Z", OUT_OF_RANGE_DATETIME),
        ("2030-01-01T11:00:00", NAIVE_DATETIME),
    ],
)
def test_window_times_are_checked_as_the_other_times(dispatcher_client, window_end, detail):
    response = dispatcher_client.post(
        LIST_URL, delivery_body(window_start=START, window_end=window_end), format="json"
    )

    assert response.status_code == 400
    assert errors_of(response) == [("invalid", "window_end")]
    assert response.json()["errors"][0]["detail"] == detail


def test_an_update_is_checked_against_the_window_it_keeps(dispatcher_client):
    delivery = DeliveryFactory(
        window_start=dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC),
        window_end=dt.datetime(2030, 1, 1, 11, tzinfo=dt.UTC),
    )

    refused = dispatcher_client.patch(
        detail_url(delivery), {"window_end": "2030-01-01T08:00:00Z"}, format="json"
    )
    moved = dispatcher_client.patch(
        detail_url(delivery), {"window_end": "2030-01-01T12:00:00Z"}, format="json"
    )
    cleared = dispatcher_client.patch(
        detail_url(delivery), {"window_start": None, "window_end": None}, format="json"
    )

    assert refused.status_code == 400
    assert errors_of(refused) == [(InvalidTimeWindow.code, "window_end")]
    assert moved.status_code == 200
    assert moved.json()["window_end"] == "2030-01-01T12:00:00Z"
    assert cleared.status_code == 200
    assert (cleared.json()["window_start"], cleared.json()["window_end"]) == (None, None)


@pytest.mark.parametrize(
    "window",
    [
        {"window_start": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)},
        {
            "window_start": dt.datetime(2030, 1, 2, tzinfo=dt.UTC),
            "window_end": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        },
    ],
)
def test_the_database_refuses_a_broken_window(window):
    delivery = DeliveryFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(**window)


# Lateness -------------------------------------------------------------------------

DEADLINE = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)


@pytest.fixture
def clock(monkeypatch):
    """``clock(t)``: the server's time is ``t`` from then on, and list pages cached
    before (which live at most ``CACHE_TTL``, a minute) have expired."""

    def set_time(when: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: when)
        cache.clear()

    return set_time


def lateness_of(client, delivery) -> tuple[bool, int | None]:
    """``is_late`` and ``late_by_minutes`` in the detail and in the list (the fast
    path), which must agree."""
    detail = client.get(detail_url(delivery)).json()
    [listed] = [
        row
        for row in client.get(LIST_URL, {"page_size": 100}).json()["results"]
        if row["id"] == delivery.pk
    ]
    assert (listed["is_late"], listed["late_by_minutes"]) == (
        detail["is_late"],
        detail["late_by_minutes"],
    )
    return detail["is_late"], detail["late_by_minutes"]


@pytest.mark.parametrize(
    ("after_deadline", "expected"),
    [
        (dt.timedelta(seconds=-1), (False, None)),
        (dt.timedelta(0), (False, None)),
        (dt.timedelta(seconds=1), (True, 0)),
        (dt.timedelta(minutes=2, seconds=59), (True, 2)),
    ],
)
def test_an_unfinished_delivery_is_late_once_past_its_window(
    dispatcher_client, clock, after_deadline, expected
):
    delivery = DeliveryFactory(
        assigned=True,
        scheduled_for=DEADLINE - dt.timedelta(hours=3),
        window_start=DEADLINE - dt.timedelta(hours=2),
        window_end=DEADLINE,
    )
    clock(DEADLINE + after_deadline)

    assert lateness_of(dispatcher_client, delivery) == expected


def test_without_a_window_the_scheduled_time_is_the_deadline(dispatcher_client, clock):
    delivery = DeliveryFactory(scheduled_for=DEADLINE)

    clock(DEADLINE)
    assert lateness_of(dispatcher_client, delivery) == (False, None)
    clock(DEADLINE + dt.timedelta(minutes=5))
    assert lateness_of(dispatcher_client, delivery) == (True, 5)


@pytest.mark.parametrize(
    ("delivered_after", "expected"),
    [
        (dt.timedelta(minutes=-5), (False, None)),
        (dt.timedelta(0), (False, None)),
        (dt.timedelta(seconds=1), (True, 0)),
        (dt.timedelta(minutes=90), (True, 90)),
    ],
)
def test_a_delivered_delivery_is_late_when_delivered_after_its_deadline(
    dispatcher_client, delivered_after, expected
):
    delivery = DeliveryFactory(
        delivered=True,
        scheduled_for=DEADLINE - dt.timedelta(hours=2),
        window_start=DEADLINE - dt.timedelta(hours=1),
        window_end=DEADLINE,
        delivered_at=DEADLINE + delivered_after,
    )

    assert lateness_of(dispatcher_client, delivery) == expected


@pytest.mark.parametrize("trait", ["failed", "cancelled"])
def test_a_failed_or_cancelled_delivery_is_never_late(dispatcher_client, trait):
    delivery = DeliveryFactory(**{trait: True}, scheduled_for=DEADLINE - dt.timedelta(days=1))

    assert lateness_of(dispatcher_client, delivery) == (False, None)


@pytest.fixture
def day():
    """One delivery of each kind, by name."""
    past = DEADLINE - dt.timedelta(hours=1)
    return {
        "overdue": DeliveryFactory(scheduled_for=past),
        "overdue_window": DeliveryFactory(
            in_transit=True,
            scheduled_for=past - dt.timedelta(hours=1),
            window_start=past - dt.timedelta(minutes=30),
            window_end=past,
        ),
        "in_its_window": DeliveryFactory(
            assigned=True,
            scheduled_for=past,
            window_start=past,
            window_end=timezone.now() + dt.timedelta(hours=1),
        ),
        "upcoming": DeliveryFactory(),
        "delivered_late": DeliveryFactory(
            delivered=True, scheduled_for=past, delivered_at=past + dt.timedelta(minutes=1)
        ),
        "delivered_on_time": DeliveryFactory(delivered=True, scheduled_for=past, delivered_at=past),
        "cancelled": DeliveryFactory(cancelled=True, scheduled_for=past),
        "failed": DeliveryFactory(failed=True, scheduled_for=past),
    }


LATE = {"overdue", "overdue_window", "delivered_late"}


@pytest.mark.parametrize(("value", "expected_late"), [("true", True), ("false", False)])
def test_the_list_filters_late_deliveries(
    dispatcher_client, day, django_assert_num_queries, value, expected_late
):
    with django_assert_num_queries(2):  # the count and the page, as without the filter
        response = dispatcher_client.get(LIST_URL, {"late": value})

    assert response.status_code == 200
    names = {name for name, delivery in day.items() if delivery.pk in ids(response)}
    assert names == (LATE if expected_late else set(day) - LATE)
    assert all(row["is_late"] is expected_late for row in response.json()["results"])


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_late_takes_true_or_false_only(dispatcher_client):
    response = dispatcher_client.get(LIST_URL, {"late": "maybe"})

    assert response.status_code == 400
    assert errors_of(response) == [("invalid", "late")]


@pytest.mark.parametrize("value", [True, "true"])
def test_a_report_takes_the_late_filter(
    dispatcher_client, day, django_capture_on_commit_callbacks, value
):
    with django_capture_on_commit_callbacks(execute=True):
        response = dispatcher_client.post(
            "/api/v1/reports/",
            {"kind": "deliveries_csv", "filters": {"late": value}},
            format="json",
        )

    assert response.status_code == 202
    report = dispatcher_client.get(f"/api/v1/reports/{response.json()['id']}/").json()
    assert report["status"] == "done"
    assert report["row_count"] == len(LATE)


def test_a_report_refuses_a_late_filter_that_is_not_true_or_false(dispatcher_client):
    response = dispatcher_client.post(
        "/api/v1/reports/",
        {"kind": "deliveries_csv", "filters": {"late": 1}},
        format="json",
    )

    assert response.status_code == 400
    assert errors_of(response) == [("invalid", "filters.late")]


def test_status_and_late_filters_combine(dispatcher_client, day):
    response = dispatcher_client.get(LIST_URL, {"late": "true", "status": DeliveryStatus.PENDING})

    assert ids(response) == {day["overdue"].pk}
