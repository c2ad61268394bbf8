"""The assignment rules under real concurrency.

Each scenario releases several threads at once, each with its own database
connection, calling the services the way parallel requests would. The invariants
are then checked on what the database holds.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from deliveries.models import ACTIVE_STATUSES, Delivery, DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus
from fleet.tests.factories import VehicleFactory
from services.deliveries import delivery_assign
from services.exceptions import (
    VehicleAlreadyInMaintenance,
    VehicleHasActiveDeliveries,
    VehicleInMaintenance,
    VehicleOverCapacity,
)
from services.fleet import vehicle_start_maintenance
from users.models import User

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (SELECT ... FOR UPDATE) between connections need PostgreSQL",
    ),
]

ROUNDS = 10
THREADS = 8


def run_together(calls):
    """Runs every call in its own thread, all released at the same moment.

    Returns, in the order of ``calls``, what each call returned or the exception it
    raised. Each thread closes its own database connection when done.
    """
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=30)
            return call()
        except Exception as exc:  # every outcome, refusal or not, is for the caller to judge
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def assign(delivery_id, vehicle_id, driver_id, actor_id):
    """An assignment as a request would make it: every object read afresh."""
    return lambda: delivery_assign(
        delivery=Delivery.objects.get(pk=delivery_id),
        vehicle=Vehicle.objects.get(pk=vehicle_id),
        driver=User.objects.get(pk=driver_id),
        actor=User.objects.get(pk=actor_id),
    )


def start_maintenance(vehicle_id, actor_id):
    return lambda: vehicle_start_maintenance(
        vehicle=Vehicle.objects.get(pk=vehicle_id),
        reason="Concurrent check-up",
        actor=User.objects.get(pk=actor_id),
    )


def assert_no_active_delivery_on_a_vehicle_in_maintenance():
    offending = Delivery.objects.filter(
        status__in=ACTIVE_STATUSES, vehicle__status=VehicleStatus.IN_MAINTENANCE
    ).values_list("tracking_code", "status", "vehicle__plate_number")
    assert list(offending) == []


@pytest.mark.parametrize("maintenance_threads", [1, 2])
def test_assignments_racing_maintenance_never_leave_work_on_a_vehicle_in_maintenance(
    maintenance_threads, driver, dispatcher
):
    for round_no in range(ROUNDS):
        vehicle = VehicleFactory(capacity_kg=Decimal("10000.00"))
        deliveries = [DeliveryFactory() for _ in range(THREADS - maintenance_threads)]
        calls = [
            ("assign", d, assign(d.pk, vehicle.pk, driver.pk, dispatcher.pk)) for d in deliveries
        ]
        # Thread start order follows list order a little; move the maintenance calls around.
        for k in range(maintenance_threads):
            position = (round_no + 3 * k) % (len(calls) + 1)
            calls.insert(
                position, ("maintenance", None, start_maintenance(vehicle.pk, dispatcher.pk))
            )

        outcomes = run_together([call for _, _, call in calls])

        assigned, maintenance_started, listed = [], 0, set()
        for (kind, delivery, _), outcome in zip(calls, outcomes, strict=True):
            if kind == "assign":
                assert isinstance(outcome, Delivery | VehicleInMaintenance), repr(outcome)
                if isinstance(outcome, Delivery):
                    assigned.append(delivery)
            else:
                assert isinstance(
                    outcome, Vehicle | VehicleHasActiveDeliveries | VehicleAlreadyInMaintenance
                ), repr(outcome)
                if isinstance(outcome, Vehicle):
                    maintenance_started += 1
                elif isinstance(outcome, VehicleHasActiveDeliveries):
                    listed |= set(outcome.extra["tracking_codes"])

        assert_no_active_delivery_on_a_vehicle_in_maintenance()
        # A refused maintenance names only deliveries whose assignment succeeded.
        assert listed <= {d.tracking_code for d in assigned}
        # Either the vehicle went into maintenance before any assignment, or some
        # assignment came first and every maintenance attempt was refused.
        assert maintenance_started in (0, 1)
        assert bool(maintenance_started) == (not assigned)
        vehicle.refresh_from_db()
        assert (vehicle.status == VehicleStatus.IN_MAINTENANCE) == bool(maintenance_started)
        assert vehicle.maintenance_records.filter(ended_at__isnull=True).count() == (
            maintenance_started
        )
        # What the callers were told is what the database holds.
        on_vehicle = set(
            Delivery.objects.filter(vehicle=vehicle, status=DeliveryStatus.ASSIGNED).values_list(
                "pk", flat=True
            )
        )
        assert on_vehicle == {d.pk for d in assigned}
        for delivery in deliveries:
            expected = 1 if delivery in assigned else 0
            assert DeliveryEvent.objects.filter(delivery=delivery).count() == expected
            if delivery not in assigned:
                delivery.refresh_from_db()
                assert (delivery.status, delivery.vehicle_id) == (DeliveryStatus.PENDING, None)


def test_parallel_assignments_never_overload_a_vehicle(driver, dispatcher):
    for _ in range(3):
        vehicle = VehicleFactory(capacity_kg=Decimal("100.00"))
        deliveries = [DeliveryFactory(weight_kg=Decimal("30.00")) for _ in range(10)]

        outcomes = run_together(
            [assign(d.pk, vehicle.pk, driver.pk, dispatcher.pk) for d in deliveries]
        )

        succeeded = [o for o in outcomes if isinstance(o, Delivery)]
        refused = [o for o in outcomes if isinstance(o, VehicleOverCapacity)]
        assert len(succeeded) == 3, outcomes
        assert len(refused) == 7, outcomes
        active = Delivery.objects.filter(vehicle=vehicle, status__in=ACTIVE_STATUSES)
        assert sorted(active.values_list("pk", flat=True)) == sorted(d.pk for d in succeeded)
        assert sum(active.values_list("weight_kg", flat=True)) == Decimal("90.00")


def test_one_delivery_assigned_to_two_vehicles_at_once_ends_on_one(driver, dispatcher):
    for _ in range(ROUNDS):
        vehicles = [VehicleFactory(), VehicleFactory()]
        delivery = DeliveryFactory()

        outcomes = run_together(
            [assign(delivery.pk, v.pk, driver.pk, dispatcher.pk) for v in vehicles * 2]
        )

        assert all(isinstance(o, Delivery) for o in outcomes), outcomes
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.ASSIGNED
        assert delivery.vehicle in vehicles
        events = list(delivery.events.all())
        assert len(events) == len(outcomes)
        # One history, each move starting where the previous one ended.
        assert [(e.from_status, e.to_status) for e in events] == [
            (DeliveryStatus.PENDING, DeliveryStatus.ASSIGNED)
        ] + [(DeliveryStatus.ASSIGNED, DeliveryStatus.ASSIGNED)] * (len(outcomes) - 1)
        assert delivery.vehicle.plate_number in events[-1].note


def test_maintenance_records_stay_single_under_parallel_starts(dispatcher):
    for _ in range(ROUNDS):
        vehicle = VehicleFactory()

        outcomes = run_together([start_maintenance(vehicle.pk, dispatcher.pk)] * 4)

        started = [o for o in outcomes if isinstance(o, Vehicle)]
        refused = [o for o in outcomes if isinstance(o, VehicleAlreadyInMaintenance)]
        assert (len(started), len(refused)) == (1, 3), outcomes
        assert MaintenanceRecord.objects.filter(vehicle=vehicle).count() == 1
