"""The vehicle endpoints: who may read and write, the output, plates, filters and
maintenance, through the real URLs."""

import datetime as dt
from decimal import Decimal

import pytest

from deliveries.tests.factories import DeliveryFactory
from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus, VehicleType
from fleet.tests.factories import VehicleFactory
from logitrack.tests import contract
from services.exceptions import (
    VehicleAlreadyInMaintenance,
    VehicleHasActiveDeliveries,
    VehicleHasDeliveries,
    VehicleNotInMaintenance,
)

pytestmark = pytest.mark.django_db


LIST_URL = "/api/v1/vehicles/"

CONTRACT_FIELDS = contract.VEHICLE
MAINTENANCE_RECORD_FIELDS = contract.MAINTENANCE_RECORD


def detail_url(vehicle) -> str:
    return f"{LIST_URL}{vehicle.pk}/"


def start_url(vehicle) -> str:
    return f"{LIST_URL}{vehicle.pk}/maintenance/start/"


def end_url(vehicle) -> str:
    return f"{LIST_URL}{vehicle.pk}/maintenance/end/"


def records_url(vehicle) -> str:
    return f"{LIST_URL}{vehicle.pk}/maintenance/"


def vehicle_payload(**overrides) -> dict:
    payload = {
        "plate_number": "NEW 001",
        "make": "Mercedes",
        "model": "Sprinter",
        "year": 2023,
        "vehicle_type": VehicleType.VAN,
        "capacity_kg": "1500.00",
    }
    payload.update(overrides)
    return payload


def errors_of(response) -> list[tuple[str, str | None]]:
    return [(error["code"], error["attr"]) for error in response.json()["errors"]]


def plates(response) -> list[str]:
    return [row["plate_number"] for row in response.json()["results"]]


# Reading ---------------------------------------------------------------------------


def test_driver_can_list_vehicles(driver_client):
    vehicle = VehicleFactory()

    response = driver_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == vehicle.pk


def test_driver_can_read_one_vehicle(driver_client):
    vehicle = VehicleFactory()

    response = driver_client.get(detail_url(vehicle))

    assert response.status_code == 200
    assert response.json()["plate_number"] == vehicle.plate_number


def test_vehicle_output_has_exactly_the_contract_fields(dispatcher_client):
    vehicle = VehicleFactory(capacity_kg=Decimal("750.50"))

    body = dispatcher_client.get(detail_url(vehicle)).json()

    assert set(body) == CONTRACT_FIELDS
    assert body["capacity_kg"] == "750.50"
    assert body["status"] == VehicleStatus.AVAILABLE
    for field in ["created_at", "updated_at"]:
        assert dt.datetime.fromisoformat(body[field]).utcoffset() is not None, field


@pytest.mark.parametrize("suffix", ["", "{pk}/", "{pk}/maintenance/"])
def test_anonymous_cannot_read_vehicles(anon_client, suffix):
    vehicle = VehicleFactory()

    response = anon_client.get(LIST_URL + suffix.format(pk=vehicle.pk))

    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


# Writing: staff only ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "", vehicle_payload()),
        ("put", "{pk}/", vehicle_payload()),
        ("patch", "{pk}/", {"make": "Tesla"}),
        ("delete", "{pk}/", None),
        ("post", "{pk}/maintenance/start/", {"reason": "Brakes"}),
        ("post", "{pk}/maintenance/end/", None),
    ],
)
def test_driver_cannot_write_vehicles(driver_client, method, path, data):
    vehicle = VehicleFactory(make="Ford", in_maintenance=path.endswith("end/"))
    before = Vehicle.objects.values().get(pk=vehicle.pk)
    records_before = list(MaintenanceRecord.objects.values())

    response = getattr(driver_client, method)(LIST_URL + path.format(pk=vehicle.pk), data)

    assert response.status_code == 403
    assert response.json()["type"] == "client_error"
    assert list(Vehicle.objects.values()) == [before]
    assert list(MaintenanceRecord.objects.values()) == records_before


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", ""), ("patch", "{pk}/"), ("delete", "{pk}/"), ("post", "{pk}/maintenance/start/")],
)
def test_anonymous_cannot_write_vehicles(anon_client, method, path):
    vehicle = VehicleFactory()

    response = getattr(anon_client, method)(
        LIST_URL + path.format(pk=vehicle.pk), {"reason": "x", **vehicle_payload()}
    )

    assert response.status_code == 401
    assert Vehicle.objects.count() == 1


def test_dispatcher_creates_a_vehicle(dispatcher_client):
    response = dispatcher_client.post(LIST_URL, vehicle_payload())

    assert response.status_code == 201
    body = response.json()
    assert set(body) == CONTRACT_FIELDS
    assert body["status"] == VehicleStatus.AVAILABLE
    vehicle = Vehicle.objects.get(pk=body["id"])
    assert (vehicle.make, vehicle.model, vehicle.year) == ("Mercedes", "Sprinter", 2023)
    assert vehicle.capacity_kg == Decimal("1500.00")


def test_admin_creates_a_vehicle(admin_client):
    response = admin_client.post(LIST_URL, vehicle_payload())

    assert response.status_code == 201
    assert Vehicle.objects.filter(pk=response.json()["id"]).exists()


def test_plate_is_stored_upper_case_without_spaces(dispatcher_client):
    response = dispatcher_client.post(LIST_URL, vehicle_payload(plate_number="ab 12 cd"))

    assert response.status_code == 201
    assert response.json()["plate_number"] == "AB12CD"
    assert Vehicle.objects.get(pk=response.json()["id"]).plate_number == "AB12CD"


@pytest.mark.parametrize("sent", ["AB12CD", "ab12cd", "ab 12 cd", " Ab12 Cd "])
def test_duplicate_plate_is_refused_on_create(dispatcher_client, sent):
    VehicleFactory(plate_number="AB12CD")

    response = dispatcher_client.post(LIST_URL, vehicle_payload(plate_number=sent))

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert [attr for _, attr in errors_of(response)] == ["plate_number"]
    assert Vehicle.objects.count() == 1


def test_duplicate_plate_is_refused_on_update(dispatcher_client):
    VehicleFactory(plate_number="AB12CD")
    other = VehicleFactory(plate_number="XY99ZZ")

    response = dispatcher_client.patch(detail_url(other), {"plate_number": "ab 12 cd"})

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["plate_number"]
    other.refresh_from_db()
    assert other.plate_number == "XY99ZZ"


def test_vehicle_keeps_its_own_plate_on_update(dispatcher_client):
    vehicle = VehicleFactory(plate_number="AB12CD")

    response = dispatcher_client.put(
        detail_url(vehicle), vehicle_payload(plate_number="ab12cd", make="Iveco")
    )

    assert response.status_code == 200
    vehicle.refresh_from_db()
    assert (vehicle.plate_number, vehicle.make) == ("AB12CD", "Iveco")


def test_dispatcher_replaces_a_vehicle(dispatcher_client):
    vehicle = VehicleFactory()

    response = dispatcher_client.put(
        detail_url(vehicle),
        vehicle_payload(plate_number="zz 9", vehicle_type=VehicleType.TRUCK, year=2019),
    )

    assert response.status_code == 200
    assert response.json()["plate_number"] == "ZZ9"
    vehicle.refresh_from_db()
    assert (vehicle.plate_number, vehicle.vehicle_type, vehicle.year) == (
        "ZZ9",
        VehicleType.TRUCK,
        2019,
    )


def test_dispatcher_patches_a_vehicle(dispatcher_client):
    vehicle = VehicleFactory(make="Ford")

    response = dispatcher_client.patch(detail_url(vehicle), {"capacity_kg": "250.00"})

    assert response.status_code == 200
    assert response.json()["capacity_kg"] == "250.00"
    vehicle.refresh_from_db()
    assert vehicle.capacity_kg == Decimal("250.00")
    assert vehicle.make == "Ford"


def test_status_sent_on_create_is_ignored(dispatcher_client):
    response = dispatcher_client.post(
        LIST_URL, vehicle_payload(status=VehicleStatus.IN_MAINTENANCE)
    )

    assert response.status_code == 201
    assert response.json()["status"] == VehicleStatus.AVAILABLE
    assert Vehicle.objects.get(pk=response.json()["id"]).status == VehicleStatus.AVAILABLE
    assert not MaintenanceRecord.objects.exists()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_status_sent_on_update_is_ignored(dispatcher_client, method):
    vehicle = VehicleFactory()

    response = getattr(dispatcher_client, method)(
        detail_url(vehicle), vehicle_payload(status=VehicleStatus.IN_MAINTENANCE)
    )

    assert response.status_code == 200
    assert response.json()["status"] == VehicleStatus.AVAILABLE
    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE


def test_dispatcher_deletes_a_vehicle_without_deliveries(dispatcher_client):
    vehicle = VehicleFactory()

    response = dispatcher_client.delete(detail_url(vehicle))

    assert response.status_code == 204
    assert not Vehicle.objects.filter(pk=vehicle.pk).exists()


@pytest.mark.parametrize("trait", ["delivered", "assigned", "failed"])
def test_vehicle_with_deliveries_cannot_be_deleted(dispatcher_client, trait):
    delivery = DeliveryFactory(**{trait: True})

    response = dispatcher_client.delete(detail_url(delivery.vehicle))

    assert response.status_code == 409
    assert errors_of(response) == [(VehicleHasDeliveries.code, None)]
    assert Vehicle.objects.filter(pk=delivery.vehicle_id).exists()


# Filters and ordering --------------------------------------------------------------


def test_filter_by_status(driver_client):
    VehicleFactory(plate_number="AAA1")
    VehicleFactory(plate_number="BBB2", in_maintenance=True)
    VehicleFactory(plate_number="CCC3", out_of_service=True)

    response = driver_client.get(LIST_URL, {"status": VehicleStatus.IN_MAINTENANCE})

    assert response.status_code == 200
    assert plates(response) == ["BBB2"]


def test_filter_by_vehicle_type(driver_client):
    VehicleFactory(plate_number="VAN1", vehicle_type=VehicleType.VAN)
    VehicleFactory(plate_number="BIKE1", vehicle_type=VehicleType.BICYCLE)
    VehicleFactory(plate_number="BIKE2", vehicle_type=VehicleType.BICYCLE)

    response = driver_client.get(LIST_URL, {"vehicle_type": VehicleType.BICYCLE})

    assert response.status_code == 200
    assert plates(response) == ["BIKE1", "BIKE2"]


def test_unknown_status_filter_is_a_validation_error(driver_client):
    response = driver_client.get(LIST_URL, {"status": "flying"})

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["status"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [("xy7", ["XY7000"]), ("volvo", ["VOL001"]), ("ducato", ["FIA001"]), ("scania", [])],
)
def test_search_matches_plate_make_and_model(driver_client, term, expected):
    VehicleFactory(plate_number="XY7000", make="Ford", model="Transit")
    VehicleFactory(plate_number="VOL001", make="Volvo", model="FH16")
    VehicleFactory(plate_number="FIA001", make="Fiat", model="Ducato")

    response = driver_client.get(LIST_URL, {"search": term})

    assert response.status_code == 200
    assert plates(response) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("year", ["OLD", "MID", "NEW"]),
        ("-year", ["NEW", "MID", "OLD"]),
        ("capacity_kg", ["NEW", "OLD", "MID"]),
        ("-capacity_kg", ["MID", "OLD", "NEW"]),
        ("plate_number", ["MID", "NEW", "OLD"]),
    ],
)
def test_ordering(driver_client, ordering, expected):
    VehicleFactory(plate_number="OLD", year=2001, capacity_kg=Decimal("500"))
    VehicleFactory(plate_number="MID", year=2010, capacity_kg=Decimal("900"))
    VehicleFactory(plate_number="NEW", year=2024, capacity_kg=Decimal("100"))

    response = driver_client.get(LIST_URL, {"ordering": ordering})

    assert response.status_code == 200
    assert plates(response) == expected


# Maintenance -----------------------------------------------------------------------


def test_start_maintenance(dispatcher_client, dispatcher):
    vehicle = VehicleFactory()

    response = dispatcher_client.post(start_url(vehicle), {"reason": "Brake pads"})

    assert response.status_code == 200
    assert response.json()["status"] == VehicleStatus.IN_MAINTENANCE
    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.IN_MAINTENANCE
    record = MaintenanceRecord.objects.get(vehicle=vehicle)
    assert (record.reason, record.started_by, record.ended_at) == ("Brake pads", dispatcher, None)


def test_start_maintenance_is_allowed_with_finished_or_pending_deliveries(dispatcher_client):
    delivery = DeliveryFactory(delivered=True)
    DeliveryFactory(failed=True, vehicle=delivery.vehicle)
    DeliveryFactory(cancelled=True, vehicle=delivery.vehicle)

    response = dispatcher_client.post(start_url(delivery.vehicle), {"reason": "Service"})

    assert response.status_code == 200
    assert response.json()["status"] == VehicleStatus.IN_MAINTENANCE


def test_start_maintenance_with_active_deliveries_is_refused(dispatcher_client):
    vehicle = VehicleFactory()
    assigned = DeliveryFactory(assigned=True, vehicle=vehicle)
    in_transit = DeliveryFactory(in_transit=True, vehicle=vehicle)
    DeliveryFactory(delivered=True, vehicle=vehicle)

    response = dispatcher_client.post(start_url(vehicle), {"reason": "Brakes"})

    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "client_error"
    (error,) = body["errors"]
    assert error["code"] == VehicleHasActiveDeliveries.code
    assert sorted(error["tracking_codes"]) == sorted(
        [assigned.tracking_code, in_transit.tracking_code]
    )
    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE
    assert not MaintenanceRecord.objects.exists()


@pytest.mark.parametrize("data", [{}, {"reason": ""}])
def test_start_maintenance_needs_a_reason(dispatcher_client, data):
    vehicle = VehicleFactory()

    response = dispatcher_client.post(start_url(vehicle), data)

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["reason"]
    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE


def test_start_maintenance_twice_is_a_conflict(dispatcher_client):
    vehicle = VehicleFactory()
    dispatcher_client.post(start_url(vehicle), {"reason": "Brakes"})

    response = dispatcher_client.post(start_url(vehicle), {"reason": "Again"})

    assert response.status_code == 409
    assert errors_of(response) == [(VehicleAlreadyInMaintenance.code, None)]
    assert MaintenanceRecord.objects.filter(vehicle=vehicle).count() == 1


def test_end_maintenance(dispatcher_client, admin_client, admin_user):
    vehicle = VehicleFactory()
    dispatcher_client.post(start_url(vehicle), {"reason": "Tyres"})

    response = admin_client.post(end_url(vehicle))

    assert response.status_code == 200
    assert response.json()["status"] == VehicleStatus.AVAILABLE
    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE
    record = MaintenanceRecord.objects.get(vehicle=vehicle)
    assert record.ended_at is not None
    assert record.ended_by == admin_user


@pytest.mark.parametrize("trait", [{}, {"out_of_service": True}])
def test_end_maintenance_when_not_in_maintenance_is_a_conflict(dispatcher_client, trait):
    vehicle = VehicleFactory(**trait)

    response = dispatcher_client.post(end_url(vehicle))

    assert response.status_code == 409
    assert errors_of(response) == [(VehicleNotInMaintenance.code, None)]
    assert Vehicle.objects.get(pk=vehicle.pk).status == vehicle.status


def test_maintenance_records_are_listed_newest_first(dispatcher_client, dispatcher):
    vehicle = VehicleFactory()
    dispatcher_client.post(start_url(vehicle), {"reason": "First"})
    dispatcher_client.post(end_url(vehicle))
    dispatcher_client.post(start_url(vehicle), {"reason": "Second"})

    response = dispatcher_client.get(records_url(vehicle))

    assert response.status_code == 200
    records = response.json()
    assert [record["reason"] for record in records] == ["Second", "First"]
    assert all(set(record) == MAINTENANCE_RECORD_FIELDS for record in records)
    second, first = records
    assert first["started_by"]["id"] == dispatcher.pk
    assert first["started_by"]["username"] == dispatcher.username
    assert first["ended_by"]["id"] == dispatcher.pk
    assert first["ended_at"] is not None
    assert second["ended_at"] is None
    assert second["ended_by"] is None


def test_maintenance_records_of_another_vehicle_are_not_listed(dispatcher_client):
    vehicle, other = VehicleFactory(), VehicleFactory()
    dispatcher_client.post(start_url(other), {"reason": "Other"})

    response = dispatcher_client.get(records_url(vehicle))

    assert response.status_code == 200
    assert response.json() == []


def test_drivers_may_not_read_maintenance_records_which_name_staff(
    driver_client, dispatcher_client
):
    vehicle = VehicleFactory()
    dispatcher_client.post(start_url(vehicle), {"reason": "Brakes"})

    response = driver_client.get(records_url(vehicle))

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_unknown_vehicle_is_not_found(dispatcher_client):
    response = dispatcher_client.post(f"{LIST_URL}999999/maintenance/start/", {"reason": "x"})

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


def test_capacity_below_the_load_it_carries_is_a_conflict(dispatcher_client):
    delivery = DeliveryFactory(assigned=True, weight_kg=Decimal("123.00"))
    vehicle = delivery.vehicle

    response = dispatcher_client.patch(detail_url(vehicle), {"capacity_kg": "0.01"})

    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert error["code"] == "vehicle_capacity_below_load"
    assert "123.00 kg" in error["detail"]
    vehicle.refresh_from_db()
    assert vehicle.capacity_kg == Decimal("1000.00")
