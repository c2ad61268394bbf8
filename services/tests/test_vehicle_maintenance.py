import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from deliveries.models import DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus
from fleet.tests.factories import VehicleFactory
from services.deliveries import delivery_assign, delivery_complete, delivery_start
from services.exceptions import (
    VehicleAlreadyInMaintenance,
    VehicleHasActiveDeliveries,
    VehicleInMaintenance,
    VehicleNotInMaintenance,
)
from services.fleet import (
    vehicle_end_maintenance,
    vehicle_return_to_service,
    vehicle_start_maintenance,
    vehicle_take_out_of_service,
)

pytestmark = pytest.mark.django_db


def stored_status(vehicle):
    return Vehicle.objects.values_list("status", flat=True).get(pk=vehicle.pk)


# vehicle_start_maintenance --------------------------------------------------------


def test_start_maintenance_opens_a_record(vehicle, dispatcher):
    before = timezone.now()

    returned = vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    assert returned.status == VehicleStatus.IN_MAINTENANCE
    assert stored_status(vehicle) == VehicleStatus.IN_MAINTENANCE
    record = vehicle.maintenance_records.get()
    assert record.reason == "Brake pads"
    assert record.started_by == dispatcher
    assert before <= record.started_at <= timezone.now()
    assert record.ended_at is None
    assert record.ended_by is None


@pytest.mark.parametrize("trait", ["assigned", "in_transit"])
def test_start_maintenance_is_refused_while_a_delivery_is_active(trait, vehicle, dispatcher):
    active = DeliveryFactory(**{trait: True}, vehicle=vehicle)

    with pytest.raises(VehicleHasActiveDeliveries) as exc_info:
        vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    assert exc_info.value.code == VehicleHasActiveDeliveries.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.extra["tracking_codes"] == [active.tracking_code]
    assert active.tracking_code in exc_info.value.detail
    assert stored_status(vehicle) == VehicleStatus.AVAILABLE
    assert not vehicle.maintenance_records.exists()


def test_refusal_lists_every_active_delivery_and_only_those(vehicle, dispatcher):
    active = [
        DeliveryFactory(assigned=True, vehicle=vehicle),
        DeliveryFactory(in_transit=True, vehicle=vehicle),
        DeliveryFactory(assigned=True, vehicle=vehicle),
    ]
    finished = DeliveryFactory(delivered=True, vehicle=vehicle)
    elsewhere = DeliveryFactory(assigned=True)

    with pytest.raises(VehicleHasActiveDeliveries) as exc_info:
        vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    codes = exc_info.value.extra["tracking_codes"]
    assert sorted(codes) == sorted(d.tracking_code for d in active)
    assert finished.tracking_code not in codes
    assert elsewhere.tracking_code not in codes


@pytest.mark.parametrize("trait", ["delivered", "failed", "cancelled"])
def test_finished_deliveries_do_not_block_maintenance(trait, vehicle, dispatcher):
    DeliveryFactory(**{trait: True}, vehicle=vehicle)

    vehicle_start_maintenance(vehicle=vehicle, reason="Service", actor=dispatcher)

    assert stored_status(vehicle) == VehicleStatus.IN_MAINTENANCE


def test_a_delivered_round_trip_frees_the_vehicle_for_maintenance(vehicle, driver, dispatcher):
    delivery = DeliveryFactory()
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)
    delivery_start(delivery=delivery, actor=driver)
    with pytest.raises(VehicleHasActiveDeliveries):
        vehicle_start_maintenance(vehicle=vehicle, reason="Service", actor=dispatcher)
    delivery_complete(delivery=delivery, actor=driver)

    vehicle_start_maintenance(vehicle=vehicle, reason="Service", actor=dispatcher)

    assert stored_status(vehicle) == VehicleStatus.IN_MAINTENANCE


def test_start_maintenance_twice_is_refused(vehicle, dispatcher):
    vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    with pytest.raises(VehicleAlreadyInMaintenance) as exc_info:
        vehicle_start_maintenance(vehicle=vehicle, reason="Again", actor=dispatcher)

    assert exc_info.value.code == VehicleAlreadyInMaintenance.code
    assert exc_info.value.status_code == 409
    assert list(vehicle.maintenance_records.values_list("reason", flat=True)) == ["Brake pads"]


def test_an_out_of_service_vehicle_may_go_into_maintenance(dispatcher):
    vehicle = VehicleFactory(out_of_service=True)

    vehicle_start_maintenance(vehicle=vehicle, reason="Repair before reuse", actor=dispatcher)

    assert stored_status(vehicle) == VehicleStatus.IN_MAINTENANCE
    assert vehicle.maintenance_records.count() == 1


def test_assignment_is_refused_once_maintenance_started(vehicle, driver, dispatcher):
    vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    with pytest.raises(VehicleInMaintenance):
        delivery_assign(
            delivery=DeliveryFactory(), vehicle=vehicle, driver=driver, actor=dispatcher
        )


# vehicle_end_maintenance ----------------------------------------------------------


def test_end_maintenance_closes_the_record(vehicle, dispatcher, admin_user):
    vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    returned = vehicle_end_maintenance(vehicle=vehicle, actor=admin_user)

    assert returned.status == VehicleStatus.AVAILABLE
    assert stored_status(vehicle) == VehicleStatus.AVAILABLE
    record = vehicle.maintenance_records.get()
    assert record.ended_by == admin_user
    assert record.started_by == dispatcher
    assert record.started_at <= record.ended_at <= timezone.now()


def test_vehicle_is_assignable_again_after_maintenance(vehicle, driver, dispatcher):
    vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)
    vehicle_end_maintenance(vehicle=vehicle, actor=dispatcher)
    delivery = DeliveryFactory()

    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ASSIGNED


def test_each_stay_in_maintenance_is_its_own_record(vehicle, dispatcher):
    for reason in ("Brake pads", "Tyres"):
        vehicle_start_maintenance(vehicle=vehicle, reason=reason, actor=dispatcher)
        vehicle_end_maintenance(vehicle=vehicle, actor=dispatcher)

    records = vehicle.maintenance_records.order_by("started_at", "id")
    assert [r.reason for r in records] == ["Brake pads", "Tyres"]
    assert all(r.ended_at is not None for r in records)


@pytest.mark.parametrize("traits", [{}, {"out_of_service": True}], ids=["available", "retired"])
def test_end_maintenance_of_a_vehicle_not_in_maintenance_is_refused(traits, dispatcher):
    vehicle = VehicleFactory(**traits)
    status = stored_status(vehicle)

    with pytest.raises(VehicleNotInMaintenance) as exc_info:
        vehicle_end_maintenance(vehicle=vehicle, actor=dispatcher)

    assert exc_info.value.code == VehicleNotInMaintenance.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.detail == VehicleNotInMaintenance.message.format(
        plate=vehicle.plate_number
    )
    assert stored_status(vehicle) == status


# Out of service -------------------------------------------------------------------


def test_take_out_of_service_and_return(vehicle, dispatcher):
    vehicle_take_out_of_service(vehicle=vehicle, actor=dispatcher)
    assert stored_status(vehicle) == VehicleStatus.OUT_OF_SERVICE
    assert not vehicle.maintenance_records.exists()

    vehicle_return_to_service(vehicle=vehicle, actor=dispatcher)
    assert stored_status(vehicle) == VehicleStatus.AVAILABLE


@pytest.mark.parametrize("trait", ["assigned", "in_transit"])
def test_take_out_of_service_is_refused_while_a_delivery_is_active(trait, vehicle, dispatcher):
    active = DeliveryFactory(**{trait: True}, vehicle=vehicle)

    with pytest.raises(VehicleHasActiveDeliveries) as exc_info:
        vehicle_take_out_of_service(vehicle=vehicle, actor=dispatcher)

    assert exc_info.value.extra["tracking_codes"] == [active.tracking_code]
    assert stored_status(vehicle) == VehicleStatus.AVAILABLE


def test_take_out_of_service_while_in_maintenance_is_refused(vehicle, dispatcher):
    vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    with pytest.raises(VehicleAlreadyInMaintenance):
        vehicle_take_out_of_service(vehicle=vehicle, actor=dispatcher)

    assert stored_status(vehicle) == VehicleStatus.IN_MAINTENANCE


def test_return_to_service_of_a_vehicle_in_maintenance_is_refused(vehicle, dispatcher):
    vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    with pytest.raises(VehicleAlreadyInMaintenance):
        vehicle_return_to_service(vehicle=vehicle, actor=dispatcher)

    assert stored_status(vehicle) == VehicleStatus.IN_MAINTENANCE
    assert vehicle.maintenance_records.get().ended_at is None


def test_return_to_service_of_an_available_vehicle_changes_nothing(vehicle, dispatcher):
    vehicle_return_to_service(vehicle=vehicle, actor=dispatcher)

    assert stored_status(vehicle) == VehicleStatus.AVAILABLE


# The database refuses what the services would never write -------------------------


def test_database_refuses_a_second_open_maintenance_record(vehicle, dispatcher):
    vehicle_start_maintenance(vehicle=vehicle, reason="Brake pads", actor=dispatcher)

    with pytest.raises(IntegrityError), transaction.atomic():
        MaintenanceRecord.objects.create(
            vehicle=vehicle, reason="Twice", started_at=timezone.now(), started_by=dispatcher
        )


def test_database_allows_many_closed_maintenance_records(vehicle, dispatcher):
    now = timezone.now()
    for _ in range(2):
        MaintenanceRecord.objects.create(
            vehicle=vehicle, reason="Done", started_at=now, ended_at=now, started_by=dispatcher
        )

    assert vehicle.maintenance_records.count() == 2


def test_database_refuses_a_record_that_ends_before_it_starts(vehicle, dispatcher):
    now = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        MaintenanceRecord.objects.create(
            vehicle=vehicle,
            reason="Time travel",
            started_at=now,
            ended_at=now - dt.timedelta(minutes=1),
            started_by=dispatcher,
        )


def test_database_refuses_an_unknown_vehicle_status(vehicle):
    with pytest.raises(IntegrityError), transaction.atomic():
        Vehicle.objects.filter(pk=vehicle.pk).update(status="stolen")
