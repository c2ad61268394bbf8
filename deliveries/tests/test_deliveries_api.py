"""The delivery endpoints: create, update, delete, the assignment rules on those paths,
read-only fields, filters and pagination, through the real URLs."""

import datetime as dt
from decimal import Decimal
from itertools import combinations

import pytest
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from logitrack.tests import contract
from services.exceptions import (
    DeliveryNotDeletable,
    DeliveryNotEditable,
    DriverNotADriver,
    VehicleInMaintenance,
    VehicleOutOfService,
    VehicleOverCapacity,
    VehicleRequired,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/deliveries/"

CONTRACT_FIELDS = contract.DELIVERY
NESTED_DRIVER_FIELDS = contract.DRIVER
NESTED_VEHICLE_FIELDS = contract.VEHICLE
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def detail_url(delivery) -> str:
    return f"{LIST_URL}{delivery.pk}/"


def delivery_payload(**overrides) -> dict:
    payload = {
        "origin_address": "Warehouse 1, Rotterdam",
        "destination_address": "Damrak 1, Amsterdam",
        "recipient_name": "Ada Lovelace",
        "recipient_phone": "+31612345678",
        "recipient_email": "ada@example.com",
        "weight_kg": "12.50",
        "scheduled_for": (timezone.now() + dt.timedelta(days=2)).isoformat(),
        "notes": "Ring twice",
    }
    payload.update(overrides)
    return payload


def errors_of(response) -> list[tuple[str, str | None]]:
    return [(error["code"], error["attr"]) for error in response.json()["errors"]]


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# Create ----------------------------------------------------------------------------


def test_dispatcher_creates_a_pending_delivery(dispatcher_client, dispatcher):
    response = dispatcher_client.post(LIST_URL, delivery_payload())

    assert response.status_code == 201
    body = response.json()
    assert set(body) == CONTRACT_FIELDS
    assert body["status"] == DeliveryStatus.PENDING
    assert body["vehicle"] is None
    assert body["driver"] is None
    assert body["tracking_code"]
    assert body["weight_kg"] == "12.50"
    for field in ["scheduled_for", "created_at", "updated_at"]:
        assert dt.datetime.fromisoformat(body[field]).utcoffset() is not None, field
    delivery = Delivery.objects.get(pk=body["id"])
    assert delivery.tracking_code == body["tracking_code"]
    assert delivery.recipient_name == "Ada Lovelace"
    assert delivery.status == DeliveryStatus.PENDING
    event = DeliveryEvent.objects.get(delivery=delivery)
    assert (event.to_status, event.actor) == (DeliveryStatus.PENDING, dispatcher)


def test_admin_creates_a_delivery(admin_client):
    response = admin_client.post(LIST_URL, delivery_payload())

    assert response.status_code == 201


def test_driver_cannot_create_a_delivery(driver_client):
    response = driver_client.post(LIST_URL, delivery_payload())

    assert response.status_code == 403
    assert not Delivery.objects.exists()


def test_anonymous_cannot_use_deliveries(anon_client):
    delivery = DeliveryFactory()

    assert anon_client.get(LIST_URL).status_code == 401
    assert anon_client.get(detail_url(delivery)).status_code == 401
    assert anon_client.post(LIST_URL, delivery_payload()).status_code == 401
    assert Delivery.objects.count() == 1


def test_tracking_codes_are_unique_and_not_sequential(dispatcher_client):
    codes = [
        dispatcher_client.post(LIST_URL, delivery_payload()).json()["tracking_code"]
        for _ in range(8)
    ]

    assert len(set(codes)) == len(codes)
    # A counter-based code keeps its order and differs from the next one in a few
    # trailing characters; random codes almost never do either.
    assert codes != sorted(codes)
    assert codes != sorted(codes, reverse=True)
    for first, second in combinations(codes, 2):
        same_positions = sum(a == b for a, b in zip(first, second, strict=False))
        assert same_positions < 2 * min(len(first), len(second)) / 3, (first, second)


def test_create_with_vehicle_and_driver_assigns(dispatcher_client, driver):
    vehicle = VehicleFactory()

    response = dispatcher_client.post(
        LIST_URL, delivery_payload(vehicle_id=vehicle.pk, driver_id=driver.pk)
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == DeliveryStatus.ASSIGNED
    assert set(body["vehicle"]) == NESTED_VEHICLE_FIELDS
    assert body["vehicle"]["id"] == vehicle.pk
    assert body["vehicle"]["plate_number"] == vehicle.plate_number
    assert body["driver"] == {
        "id": driver.pk,
        "username": driver.username,
        "first_name": driver.first_name,
        "last_name": driver.last_name,
        "phone": driver.phone,
    }
    delivery = Delivery.objects.get(pk=body["id"])
    assert (delivery.status, delivery.vehicle, delivery.driver) == (
        DeliveryStatus.ASSIGNED,
        vehicle,
        driver,
    )
    assert "vehicle_id" not in body
    assert "driver_id" not in body


def test_create_with_vehicle_only_assigns_without_driver(dispatcher_client):
    vehicle = VehicleFactory()

    response = dispatcher_client.post(LIST_URL, delivery_payload(vehicle_id=vehicle.pk))

    assert response.status_code == 201
    assert response.json()["status"] == DeliveryStatus.ASSIGNED
    assert response.json()["driver"] is None


@pytest.mark.parametrize(
    ("vehicle_traits", "weight", "error"),
    [
        ({"in_maintenance": True}, "10.00", VehicleInMaintenance),
        ({"out_of_service": True}, "10.00", VehicleOutOfService),
        ({"capacity_kg": Decimal("100.00")}, "100.01", VehicleOverCapacity),
    ],
)
def test_create_breaking_a_vehicle_rule_creates_nothing(
    dispatcher_client, driver, vehicle_traits, weight, error
):
    vehicle = VehicleFactory(**vehicle_traits)

    response = dispatcher_client.post(
        LIST_URL, delivery_payload(vehicle_id=vehicle.pk, driver_id=driver.pk, weight_kg=weight)
    )

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert errors_of(response) == [(error.code, "vehicle_id")]
    assert not Delivery.objects.exists()
    assert not DeliveryEvent.objects.exists()


def test_create_over_capacity_counts_the_vehicles_active_deliveries(dispatcher_client):
    vehicle = VehicleFactory(capacity_kg=Decimal("100.00"))
    DeliveryFactory(assigned=True, vehicle=vehicle, weight_kg=Decimal("60.00"))
    DeliveryFactory(in_transit=True, vehicle=vehicle, weight_kg=Decimal("30.00"))
    DeliveryFactory(delivered=True, vehicle=vehicle, weight_kg=Decimal("90.00"))

    refused = dispatcher_client.post(
        LIST_URL, delivery_payload(vehicle_id=vehicle.pk, weight_kg="10.01")
    )
    accepted = dispatcher_client.post(
        LIST_URL, delivery_payload(vehicle_id=vehicle.pk, weight_kg="10.00")
    )

    assert refused.status_code == 400
    assert errors_of(refused) == [(VehicleOverCapacity.code, "vehicle_id")]
    assert accepted.status_code == 201
    assert Delivery.objects.count() == 4


@pytest.mark.parametrize("user_traits", [{"dispatcher": True}, {"admin": True}, {"inactive": True}])
def test_create_with_a_non_driver_creates_nothing(dispatcher_client, user_traits):
    vehicle = VehicleFactory()
    not_a_driver = UserFactory(**user_traits)

    response = dispatcher_client.post(
        LIST_URL, delivery_payload(vehicle_id=vehicle.pk, driver_id=not_a_driver.pk)
    )

    assert response.status_code == 400
    assert errors_of(response) == [(DriverNotADriver.code, "driver_id")]
    assert not Delivery.objects.exists()


def test_create_with_a_driver_but_no_vehicle_creates_nothing(dispatcher_client, driver):
    response = dispatcher_client.post(LIST_URL, delivery_payload(driver_id=driver.pk))

    assert response.status_code == 400
    assert errors_of(response) == [(VehicleRequired.code, "vehicle_id")]
    assert not Delivery.objects.exists()


def test_create_with_unknown_vehicle_is_a_validation_error(dispatcher_client):
    response = dispatcher_client.post(LIST_URL, delivery_payload(vehicle_id=999999))

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["vehicle_id"]
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("field", ["origin_address", "recipient_name", "weight_kg"])
def test_create_needs_the_required_fields(dispatcher_client, field):
    payload = delivery_payload()
    del payload[field]

    response = dispatcher_client.post(LIST_URL, payload)

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == [field]


@pytest.mark.parametrize("weight", ["0", "-1.00"])
def test_create_needs_a_positive_weight(dispatcher_client, weight):
    response = dispatcher_client.post(LIST_URL, delivery_payload(weight_kg=weight))

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["weight_kg"]


def test_read_only_fields_are_ignored_on_create(dispatcher_client):
    long_ago = "2001-01-01T00:00:00+00:00"

    response = dispatcher_client.post(
        LIST_URL,
        delivery_payload(
            status=DeliveryStatus.DELIVERED,
            tracking_code="LTCHOSENBYME",
            created_at=long_ago,
            delivered_at=long_ago,
            failure_reason="Sent by the client",
        ),
    )

    assert response.status_code == 201
    delivery = Delivery.objects.get(pk=response.json()["id"])
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.tracking_code != "LTCHOSENBYME"
    assert delivery.created_at.year != 2001
    assert delivery.delivered_at is None
    assert delivery.failure_reason == ""


def test_read_only_fields_are_ignored_on_patch(dispatcher_client):
    delivery = DeliveryFactory()
    before = Delivery.objects.values(
        "status", "tracking_code", "created_at", "delivered_at", "failure_reason"
    ).get(pk=delivery.pk)

    response = dispatcher_client.patch(
        detail_url(delivery),
        {
            "status": DeliveryStatus.DELIVERED,
            "tracking_code": "LTCHOSENBYME",
            "created_at": "2001-01-01T00:00:00+00:00",
            "delivered_at": "2001-01-01T00:00:00+00:00",
            "failure_reason": "Sent by the client",
            "notes": "Changed",
        },
    )

    assert response.status_code == 200
    after = Delivery.objects.values(
        "status", "tracking_code", "created_at", "delivered_at", "failure_reason", "notes"
    ).get(pk=delivery.pk)
    assert after.pop("notes") == "Changed"
    assert after == before


# Retrieve --------------------------------------------------------------------------


def test_dispatcher_reads_any_delivery(dispatcher_client):
    delivery = DeliveryFactory(assigned=True)

    response = dispatcher_client.get(detail_url(delivery))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == CONTRACT_FIELDS
    assert body["tracking_code"] == delivery.tracking_code
    assert body["vehicle"]["id"] == delivery.vehicle_id
    assert set(body["driver"]) == NESTED_DRIVER_FIELDS
    assert body["driver"]["id"] == delivery.driver_id


# Update ----------------------------------------------------------------------------


def test_dispatcher_patches_a_pending_delivery(dispatcher_client):
    delivery = DeliveryFactory(recipient_name="Old Name")

    response = dispatcher_client.patch(detail_url(delivery), {"recipient_name": "New Name"})

    assert response.status_code == 200
    assert response.json()["recipient_name"] == "New Name"
    delivery.refresh_from_db()
    assert delivery.recipient_name == "New Name"
    assert delivery.status == DeliveryStatus.PENDING


def test_dispatcher_replaces_a_delivery(dispatcher_client):
    delivery = DeliveryFactory()

    response = dispatcher_client.put(
        detail_url(delivery), delivery_payload(recipient_name="Grace Hopper", weight_kg="3.00")
    )

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.recipient_name, delivery.weight_kg) == ("Grace Hopper", Decimal("3.00"))


def test_patch_with_vehicle_assigns(dispatcher_client, driver):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory()

    response = dispatcher_client.patch(
        detail_url(delivery), {"vehicle_id": vehicle.pk, "driver_id": driver.pk}
    )

    assert response.status_code == 200
    assert response.json()["status"] == DeliveryStatus.ASSIGNED
    assert response.json()["vehicle"]["id"] == vehicle.pk
    assert response.json()["driver"]["id"] == driver.pk
    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle, delivery.driver) == (
        DeliveryStatus.ASSIGNED,
        vehicle,
        driver,
    )


def test_patch_with_a_null_vehicle_unassigns(dispatcher_client):
    delivery = DeliveryFactory(assigned=True)

    response = dispatcher_client.patch(detail_url(delivery), {"vehicle_id": None})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["vehicle"], body["driver"]) == (DeliveryStatus.PENDING, None, None)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle, delivery.driver) == (
        DeliveryStatus.PENDING,
        None,
        None,
    )


def test_patch_without_assignment_fields_keeps_the_assignment(dispatcher_client):
    delivery = DeliveryFactory(assigned=True)

    response = dispatcher_client.patch(detail_url(delivery), {"notes": "Fragile"})

    assert response.status_code == 200
    assert response.json()["status"] == DeliveryStatus.ASSIGNED
    assert response.json()["vehicle"]["id"] == delivery.vehicle_id
    assert response.json()["driver"]["id"] == delivery.driver_id


@pytest.mark.parametrize(
    ("vehicle_traits", "error"),
    [
        ({"in_maintenance": True}, VehicleInMaintenance),
        ({"out_of_service": True}, VehicleOutOfService),
        ({"capacity_kg": Decimal("5.00")}, VehicleOverCapacity),
    ],
)
def test_patch_breaking_a_vehicle_rule_changes_nothing(dispatcher_client, vehicle_traits, error):
    delivery = DeliveryFactory(weight_kg=Decimal("10.00"), notes="Before")
    vehicle = VehicleFactory(**vehicle_traits)

    response = dispatcher_client.patch(
        detail_url(delivery), {"vehicle_id": vehicle.pk, "notes": "After"}
    )

    assert response.status_code == 400
    assert errors_of(response) == [(error.code, "vehicle_id")]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle, delivery.notes) == (
        DeliveryStatus.PENDING,
        None,
        "Before",
    )
    assert not DeliveryEvent.objects.filter(delivery=delivery).exists()


def test_put_onto_a_vehicle_in_maintenance_changes_nothing(dispatcher_client):
    delivery = DeliveryFactory(assigned=True, recipient_name="Before")
    vehicle = VehicleFactory(in_maintenance=True)

    response = dispatcher_client.put(
        detail_url(delivery), delivery_payload(vehicle_id=vehicle.pk, recipient_name="After")
    )

    assert response.status_code == 400
    assert errors_of(response) == [(VehicleInMaintenance.code, "vehicle_id")]
    old_vehicle = delivery.vehicle
    delivery.refresh_from_db()
    assert (delivery.vehicle, delivery.recipient_name) == (old_vehicle, "Before")


def test_patch_with_a_non_driver_changes_nothing(dispatcher_client, dispatcher):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory()

    response = dispatcher_client.patch(
        detail_url(delivery), {"vehicle_id": vehicle.pk, "driver_id": dispatcher.pk}
    )

    assert response.status_code == 400
    assert errors_of(response) == [(DriverNotADriver.code, "driver_id")]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle, delivery.driver) == (
        DeliveryStatus.PENDING,
        None,
        None,
    )


def test_raising_the_weight_of_an_assigned_delivery_rechecks_capacity(dispatcher_client):
    vehicle = VehicleFactory(capacity_kg=Decimal("50.00"))
    delivery = DeliveryFactory(assigned=True, vehicle=vehicle, weight_kg=Decimal("40.00"))

    response = dispatcher_client.patch(detail_url(delivery), {"weight_kg": "50.01"})

    assert response.status_code == 400
    assert errors_of(response) == [(VehicleOverCapacity.code, "vehicle_id")]
    delivery.refresh_from_db()
    assert delivery.weight_kg == Decimal("40.00")


@pytest.mark.parametrize("trait", ["in_transit", "delivered", "failed", "cancelled"])
@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_delivery_past_assignment_is_not_editable(dispatcher_client, trait, method):
    delivery = DeliveryFactory(**{trait: True}, notes="Before")

    response = getattr(dispatcher_client, method)(
        detail_url(delivery), delivery_payload(notes="After")
    )

    assert response.status_code == 409
    assert errors_of(response) == [(DeliveryNotEditable.code, None)]
    delivery.refresh_from_db()
    assert delivery.notes == "Before"


# Delete ----------------------------------------------------------------------------


@pytest.mark.parametrize("trait", [{}, {"cancelled": True}])
def test_pending_or_cancelled_delivery_is_deleted(dispatcher_client, trait):
    delivery = DeliveryFactory(**trait)

    response = dispatcher_client.delete(detail_url(delivery))

    assert response.status_code == 204
    assert not Delivery.objects.filter(pk=delivery.pk).exists()


@pytest.mark.parametrize("trait", ["assigned", "in_transit", "delivered", "failed"])
def test_a_started_delivery_is_not_deleted(dispatcher_client, trait):
    delivery = DeliveryFactory(**{trait: True})

    response = dispatcher_client.delete(detail_url(delivery))

    assert response.status_code == 409
    assert errors_of(response) == [(DeliveryNotDeletable.code, None)]
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_unknown_delivery_is_not_found(dispatcher_client):
    response = dispatcher_client.get(f"{LIST_URL}999999/")

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "not_found"


# Filters, search and ordering -----------------------------------------------------


def test_filter_by_one_status(dispatcher_client):
    pending = DeliveryFactory()
    DeliveryFactory(assigned=True)
    DeliveryFactory(delivered=True)

    response = dispatcher_client.get(LIST_URL, {"status": DeliveryStatus.PENDING})

    assert response.status_code == 200
    assert ids(response) == [pending.pk]


def test_status_filter_is_repeatable(dispatcher_client):
    pending = DeliveryFactory()
    assigned = DeliveryFactory(assigned=True)
    DeliveryFactory(in_transit=True)
    DeliveryFactory(cancelled=True)

    response = dispatcher_client.get(f"{LIST_URL}?status=pending&status=assigned")

    assert response.status_code == 200
    assert sorted(ids(response)) == sorted([pending.pk, assigned.pk])


def test_unknown_status_filter_is_a_validation_error(dispatcher_client):
    response = dispatcher_client.get(LIST_URL, {"status": "lost"})

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["status"]


def test_filter_by_vehicle(dispatcher_client):
    mine = DeliveryFactory(assigned=True)
    DeliveryFactory(assigned=True)
    DeliveryFactory()

    response = dispatcher_client.get(LIST_URL, {"vehicle": mine.vehicle_id})

    assert ids(response) == [mine.pk]


def test_filter_by_driver(dispatcher_client, driver):
    first = DeliveryFactory(assigned=True, driver=driver)
    second = DeliveryFactory(delivered=True, driver=driver)
    DeliveryFactory(assigned=True)

    response = dispatcher_client.get(LIST_URL, {"driver": driver.pk})

    assert sorted(ids(response)) == sorted([first.pk, second.pk])


def test_filter_by_schedule_window(dispatcher_client):
    base = timezone.now().replace(microsecond=0)
    early = DeliveryFactory(scheduled_for=base + dt.timedelta(days=1))
    middle = DeliveryFactory(scheduled_for=base + dt.timedelta(days=3))
    late = DeliveryFactory(scheduled_for=base + dt.timedelta(days=5))

    after = dispatcher_client.get(
        LIST_URL, {"scheduled_after": (base + dt.timedelta(days=2)).isoformat()}
    )
    before = dispatcher_client.get(
        LIST_URL, {"scheduled_before": (base + dt.timedelta(days=4)).isoformat()}
    )
    window = dispatcher_client.get(
        LIST_URL,
        {
            "scheduled_after": (base + dt.timedelta(days=3)).isoformat(),
            "scheduled_before": (base + dt.timedelta(days=3)).isoformat(),
        },
    )

    assert sorted(ids(after)) == sorted([middle.pk, late.pk])
    assert sorted(ids(before)) == sorted([early.pk, middle.pk])
    assert ids(window) == [middle.pk]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Lovelace", "ada"),
        ("Keizersgracht", "ada"),
        ("Coolsingel", "grace"),
        ("hopper", "grace"),
        ("nobody-like-this", None),
    ],
)
def test_search_matches_recipient_and_addresses(dispatcher_client, term, expected):
    found = {
        "ada": DeliveryFactory(
            recipient_name="Ada Lovelace",
            origin_address="Depot A",
            destination_address="Keizersgracht 1",
        ),
        "grace": DeliveryFactory(
            recipient_name="Grace Hopper",
            origin_address="Coolsingel 40",
            destination_address="Depot B",
        ),
    }

    response = dispatcher_client.get(LIST_URL, {"search": term})

    assert response.status_code == 200
    assert ids(response) == ([found[expected].pk] if expected else [])


def test_search_matches_tracking_code(dispatcher_client):
    wanted = DeliveryFactory()
    DeliveryFactory()

    response = dispatcher_client.get(LIST_URL, {"search": wanted.tracking_code})

    assert ids(response) == [wanted.pk]


@pytest.mark.parametrize("ordering", ["scheduled_for", "-scheduled_for"])
def test_ordering_by_schedule(dispatcher_client, ordering):
    base = timezone.now()
    later = DeliveryFactory(scheduled_for=base + dt.timedelta(days=3))
    sooner = DeliveryFactory(scheduled_for=base + dt.timedelta(days=1))
    middle = DeliveryFactory(scheduled_for=base + dt.timedelta(days=2))
    ascending = [sooner.pk, middle.pk, later.pk]

    response = dispatcher_client.get(LIST_URL, {"ordering": ordering})

    assert response.status_code == 200
    expected = ascending if ordering == "scheduled_for" else ascending[::-1]
    assert ids(response) == expected


def test_ordering_by_created_at(dispatcher_client):
    created = [DeliveryFactory() for _ in range(3)]

    ascending = dispatcher_client.get(LIST_URL, {"ordering": "created_at"})
    descending = dispatcher_client.get(LIST_URL, {"ordering": "-created_at"})

    assert ids(ascending) == [d.pk for d in created]
    assert ids(descending) == [d.pk for d in reversed(created)]


def test_ordering_by_status(dispatcher_client):
    by_status = {
        status: DeliveryFactory(**({status: True} if status != "pending" else {}))
        for status in ["in_transit", "pending", "delivered", "assigned"]
    }

    response = dispatcher_client.get(LIST_URL, {"ordering": "status"})

    assert ids(response) == [by_status[status].pk for status in sorted(by_status)]


def test_default_order_is_newest_first(dispatcher_client):
    created = [DeliveryFactory() for _ in range(3)]

    response = dispatcher_client.get(LIST_URL)

    assert ids(response) == [d.pk for d in reversed(created)]


# Pagination ------------------------------------------------------------------------


def make_deliveries(count: int) -> None:
    Delivery.objects.bulk_create(DeliveryFactory.build_batch(count))


def test_list_is_paginated_with_the_default_page_size(dispatcher_client):
    make_deliveries(DEFAULT_PAGE_SIZE + 5)

    first = dispatcher_client.get(LIST_URL).json()
    second = dispatcher_client.get(first["next"]).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == DEFAULT_PAGE_SIZE + 5
    assert len(first["results"]) == DEFAULT_PAGE_SIZE
    assert first["previous"] is None
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert second["previous"] is not None
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_page_size_can_be_chosen(dispatcher_client):
    make_deliveries(7)

    body = dispatcher_client.get(LIST_URL, {"page_size": 3, "page": 3}).json()

    assert body["count"] == 7
    assert len(body["results"]) == 1
    assert body["next"] is None


def test_page_size_is_capped(dispatcher_client):
    make_deliveries(MAX_PAGE_SIZE + 1)

    response = dispatcher_client.get(LIST_URL, {"page_size": 500})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == MAX_PAGE_SIZE + 1
    assert len(body["results"]) == MAX_PAGE_SIZE
    assert body["next"] is not None
