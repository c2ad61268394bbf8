from decimal import Decimal

import pytest
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.urls import reverse

from deliveries.tests.factories import DeliveryFactory
from fleet.admin import (
    MAINTENANCE_ENDED,
    MAINTENANCE_REASON,
    MAINTENANCE_STARTED,
    RETURNED_TO_SERVICE,
    TAKEN_OUT_OF_SERVICE,
)
from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus, VehicleType
from fleet.tests.factories import VehicleFactory
from services.exceptions import (
    VehicleAlreadyInMaintenance,
    VehicleHasActiveDeliveries,
    VehicleNotInMaintenance,
)
from services.fleet import vehicle_start_maintenance

pytestmark = pytest.mark.django_db

# The inline of maintenance records posts an (empty) management form with the vehicle.
NO_MAINTENANCE_ROWS = {
    "maintenance_records-TOTAL_FORMS": "0",
    "maintenance_records-INITIAL_FORMS": "0",
}


@pytest.fixture
def staff_client(client, dispatcher):
    client.force_login(dispatcher)
    return client


def changelist_url() -> str:
    return reverse("admin:fleet_vehicle_changelist")


def change_url(vehicle: Vehicle) -> str:
    return reverse("admin:fleet_vehicle_change", args=[vehicle.pk])


def messages_of(response) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def run_action(client, action: str, *vehicles: Vehicle):
    return client.post(
        changelist_url(), {"action": action, "_selected_action": [v.pk for v in vehicles]}
    )


def vehicle_form(**overrides) -> dict:
    return {
        "plate_number": "ab 12 cd",
        "make": "Mercedes",
        "model": "Sprinter",
        "year": "2023",
        "vehicle_type": VehicleType.VAN,
        "capacity_kg": "1200.00",
        **overrides,
    }


def active_codes_error(vehicle: Vehicle, *deliveries) -> str:
    codes = ", ".join(sorted(d.tracking_code for d in deliveries))
    return VehicleHasActiveDeliveries(plate=vehicle.plate_number, codes=codes).detail


# Access -----------------------------------------------------------------------------


def test_dispatcher_can_open_the_vehicle_pages(staff_client, dispatcher):
    vehicle = VehicleFactory()
    vehicle_start_maintenance(vehicle=vehicle, reason="Brakes", actor=dispatcher)

    assert staff_client.get(reverse("admin:index")).status_code == 200
    assert staff_client.get(changelist_url()).status_code == 200
    assert staff_client.get(reverse("admin:fleet_vehicle_add")).status_code == 200
    response = staff_client.get(change_url(vehicle))
    assert response.status_code == 200
    assert "Brakes" in response.content.decode()


def test_driver_is_sent_to_the_login_page(client, driver):
    client.force_login(driver)

    response = client.get(changelist_url())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_driver_cannot_run_an_action(client, driver):
    vehicle = VehicleFactory()
    client.force_login(driver)

    response = run_action(client, "start_maintenance", vehicle)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE


# List ---------------------------------------------------------------------------------


def test_list_filters_by_status_and_type(staff_client):
    van = VehicleFactory(vehicle_type=VehicleType.VAN)
    truck = VehicleFactory(vehicle_type=VehicleType.TRUCK)
    in_maintenance = VehicleFactory(in_maintenance=True)

    by_status = staff_client.get(changelist_url(), {"status__exact": VehicleStatus.IN_MAINTENANCE})
    by_type = staff_client.get(changelist_url(), {"vehicle_type__exact": VehicleType.TRUCK})

    assert list(by_status.context["cl"].result_list) == [in_maintenance]
    assert list(by_type.context["cl"].result_list) == [truck]
    assert van not in by_type.context["cl"].result_list


def test_list_searches_by_plate(staff_client):
    wanted = VehicleFactory(plate_number="XY99ZZ")
    VehicleFactory(plate_number="AB12CD")

    response = staff_client.get(changelist_url(), {"q": "99z"})

    assert list(response.context["cl"].result_list) == [wanted]


# Add, change, delete ------------------------------------------------------------------


def test_add_form_creates_an_available_vehicle(staff_client):
    response = staff_client.post(reverse("admin:fleet_vehicle_add"), vehicle_form())

    assert response.status_code == 302
    vehicle = Vehicle.objects.get(plate_number="AB12CD")
    assert vehicle.status == VehicleStatus.AVAILABLE
    assert vehicle.capacity_kg == Decimal("1200.00")


def test_add_form_refuses_a_plate_already_taken(staff_client):
    VehicleFactory(plate_number="AB12CD")

    response = staff_client.post(reverse("admin:fleet_vehicle_add"), vehicle_form())

    assert response.status_code == 200
    assert "plate_number" in response.context["adminform"].form.errors
    assert Vehicle.objects.count() == 1


def test_change_form_updates_the_vehicle_but_never_its_status(staff_client):
    vehicle = VehicleFactory()

    response = staff_client.post(
        change_url(vehicle),
        {
            **vehicle_form(plate_number=vehicle.plate_number, make="Iveco"),
            "status": VehicleStatus.OUT_OF_SERVICE,
            **NO_MAINTENANCE_ROWS,
        },
    )

    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.make == "Iveco"
    assert vehicle.status == VehicleStatus.AVAILABLE


def test_maintenance_records_are_read_only(staff_client, dispatcher):
    vehicle = VehicleFactory()
    vehicle_start_maintenance(vehicle=vehicle, reason="Brakes", actor=dispatcher)
    record = MaintenanceRecord.objects.get(vehicle=vehicle)

    page = staff_client.get(change_url(vehicle))
    inline = page.context["inline_admin_formsets"][0]
    response = staff_client.post(
        change_url(vehicle),
        {
            **vehicle_form(plate_number=vehicle.plate_number),
            "maintenance_records-TOTAL_FORMS": "2",
            "maintenance_records-INITIAL_FORMS": "1",
            "maintenance_records-0-id": str(record.pk),
            "maintenance_records-0-reason": "Rewritten",
            "maintenance_records-0-DELETE": "on",
            "maintenance_records-1-reason": "Invented",
        },
    )

    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    assert response.status_code == 302
    assert list(MaintenanceRecord.objects.values_list("reason", flat=True)) == ["Brakes"]


def test_delete_removes_a_vehicle_without_deliveries(staff_client):
    vehicle = VehicleFactory()

    response = staff_client.post(
        reverse("admin:fleet_vehicle_delete", args=[vehicle.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Vehicle.objects.filter(pk=vehicle.pk).exists()


def test_delete_keeps_a_vehicle_with_deliveries(staff_client):
    delivery = DeliveryFactory(delivered=True)

    staff_client.post(
        reverse("admin:fleet_vehicle_delete", args=[delivery.vehicle.pk]), {"post": "yes"}
    )

    assert Vehicle.objects.filter(pk=delivery.vehicle.pk).exists()


def test_bulk_delete_is_not_offered(staff_client):
    vehicle = VehicleFactory()

    staff_client.post(
        changelist_url(),
        {"action": "delete_selected", "_selected_action": [vehicle.pk], "post": "yes"},
    )

    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


# Maintenance actions ------------------------------------------------------------------


def test_start_maintenance_opens_a_record_for_each_vehicle(staff_client, dispatcher):
    first, second = VehicleFactory(), VehicleFactory()

    response = run_action(staff_client, "start_maintenance", first, second)

    assert response.status_code == 302
    for vehicle in (first, second):
        vehicle.refresh_from_db()
        assert vehicle.status == VehicleStatus.IN_MAINTENANCE
        record = vehicle.maintenance_records.get()
        assert record.ended_at is None
        assert record.reason == MAINTENANCE_REASON
        assert record.started_by == dispatcher
    names = f"{first.plate_number}, {second.plate_number}"
    assert messages_of(response) == [(SUCCESS, MAINTENANCE_STARTED.format(names=names))]


def test_start_maintenance_reports_a_vehicle_with_active_deliveries(staff_client):
    busy, free = VehicleFactory(plate_number="AA11AA"), VehicleFactory(plate_number="BB22BB")
    assigned = DeliveryFactory(assigned=True, vehicle=busy)
    in_transit = DeliveryFactory(in_transit=True, vehicle=busy)

    response = run_action(staff_client, "start_maintenance", busy, free)

    busy.refresh_from_db()
    free.refresh_from_db()
    assert busy.status == VehicleStatus.AVAILABLE
    assert not busy.maintenance_records.exists()
    assert free.status == VehicleStatus.IN_MAINTENANCE
    assert messages_of(response) == [
        (ERROR, active_codes_error(busy, assigned, in_transit)),
        (SUCCESS, MAINTENANCE_STARTED.format(names=free.plate_number)),
    ]


def test_start_maintenance_reports_a_vehicle_already_in_maintenance(staff_client, dispatcher):
    vehicle = VehicleFactory()
    vehicle_start_maintenance(vehicle=vehicle, reason="Brakes", actor=dispatcher)

    response = run_action(staff_client, "start_maintenance", vehicle)

    assert vehicle.maintenance_records.count() == 1
    assert messages_of(response) == [
        (ERROR, VehicleAlreadyInMaintenance(plate=vehicle.plate_number).detail)
    ]


def test_end_maintenance_closes_the_open_record(staff_client, admin_user, dispatcher):
    vehicle = VehicleFactory()
    vehicle_start_maintenance(vehicle=vehicle, reason="Brakes", actor=admin_user)

    response = run_action(staff_client, "end_maintenance", vehicle)

    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE
    record = vehicle.maintenance_records.get()
    assert record.ended_at is not None
    assert record.ended_by == dispatcher
    assert messages_of(response) == [
        (SUCCESS, MAINTENANCE_ENDED.format(names=vehicle.plate_number))
    ]


def test_end_maintenance_reports_a_vehicle_not_in_maintenance(staff_client):
    vehicle = VehicleFactory()

    response = run_action(staff_client, "end_maintenance", vehicle)

    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE
    assert messages_of(response) == [
        (ERROR, VehicleNotInMaintenance(plate=vehicle.plate_number).detail)
    ]


# Service actions ----------------------------------------------------------------------


def test_take_out_of_service(staff_client):
    vehicle = VehicleFactory()

    response = run_action(staff_client, "take_out_of_service", vehicle)

    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.OUT_OF_SERVICE
    assert not vehicle.maintenance_records.exists()
    assert messages_of(response) == [
        (SUCCESS, TAKEN_OUT_OF_SERVICE.format(names=vehicle.plate_number))
    ]


def test_return_to_service(staff_client):
    vehicle = VehicleFactory(out_of_service=True)

    response = run_action(staff_client, "return_to_service", vehicle)

    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE
    assert messages_of(response) == [
        (SUCCESS, RETURNED_TO_SERVICE.format(names=vehicle.plate_number))
    ]


def test_take_out_of_service_reports_a_vehicle_with_active_deliveries(staff_client):
    delivery = DeliveryFactory(assigned=True)
    vehicle = delivery.vehicle

    response = run_action(staff_client, "take_out_of_service", vehicle)

    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.AVAILABLE
    assert messages_of(response) == [(ERROR, active_codes_error(vehicle, delivery))]


def test_return_to_service_refuses_a_vehicle_in_maintenance(staff_client, dispatcher):
    vehicle = VehicleFactory()
    vehicle_start_maintenance(vehicle=vehicle, reason="Brakes", actor=dispatcher)

    response = run_action(staff_client, "return_to_service", vehicle)

    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.IN_MAINTENANCE
    assert messages_of(response) == [
        (ERROR, VehicleAlreadyInMaintenance(plate=vehicle.plate_number).detail)
    ]
