"""The assignment rules under real concurrency.

Each scenario releases several threads at once, each with its own database
connection, calling the services the way parallel requests would. The invariants
are then checked on what the database holds.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from deliveries.models import ACTIVE_STATUSES, Delivery, DeliveryEvent, DeliveryStatus
from deliveries.selectors import vehicle_load_kg
from deliveries.tests.factories import DeliveryFactory
from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus
from fleet.tests.factories import VehicleFactory
from services import deliveries as deliveries_service
from services.common import refused_constraint
from services.deliveries import delivery_assign
from services.exceptions import (
    VehicleAlreadyInMaintenance,
    VehicleHasActiveDeliveries,
    VehicleInMaintenance,
    VehicleOverCapacity,
)
from services.fleet import vehicle_start_maintenance, vehicle_update
from services.users import user_update
from users.models import Role, User
from users.tests.factories import UserFactory

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


# Every other write that races an assignment or maintenance -------------------------

PAIRS = 50


def _as_requests_read(*instances):
    """Fresh copies of ``instances``, as a request's ``get_object`` reads them before its
    service runs; the race is between those reads and the other request's write."""
    return [type(instance).objects.get(pk=instance.pk) for instance in instances]


def race_pair(round_no: int, first, second, *, allowed: set[tuple[str, str]]) -> tuple:
    """Runs the two calls together (in turn each first in the thread list) and checks
    that the pair of outcomes, by type name, is one of ``allowed``; returns it."""
    calls = [first, second] if round_no % 2 == 0 else [second, first]
    outcomes = run_together(calls)
    kinds = tuple(sorted(type(o).__name__ for o in outcomes))
    assert kinds in allowed, outcomes
    return kinds


def assert_maintenance_records_match_statuses():
    open_by_vehicle = set(
        MaintenanceRecord.objects.filter(ended_at__isnull=True).values_list("vehicle_id", flat=True)
    )
    in_maintenance = set(
        Vehicle.objects.filter(status=VehicleStatus.IN_MAINTENANCE).values_list("pk", flat=True)
    )
    assert open_by_vehicle == in_maintenance


def test_a_vehicle_edit_racing_maintenance_never_undoes_it(dispatcher):
    for _ in range(PAIRS):
        vehicle = VehicleFactory(make="Ford")
        [read_by_edit] = _as_requests_read(vehicle)

        outcomes = run_together(
            [
                lambda v=read_by_edit: vehicle_update(vehicle=v, actor=dispatcher, make="Renault"),
                start_maintenance(vehicle.pk, dispatcher.pk),
            ]
        )

        assert all(isinstance(o, Vehicle) for o in outcomes), outcomes
        vehicle.refresh_from_db()
        assert (vehicle.make, vehicle.status) == ("Renault", VehicleStatus.IN_MAINTENANCE)
    assert_maintenance_records_match_statuses()


def test_a_capacity_cut_racing_an_assignment_never_leaves_a_vehicle_overloaded(driver, dispatcher):
    for round_no in range(PAIRS):
        vehicle = VehicleFactory(capacity_kg=Decimal("100.00"))
        delivery = DeliveryFactory(weight_kg=Decimal("60.00"))
        [read_by_edit] = _as_requests_read(vehicle)

        kinds = race_pair(
            round_no,
            assign(delivery.pk, vehicle.pk, driver.pk, dispatcher.pk),
            lambda v=read_by_edit: vehicle_update(
                vehicle=v, actor=dispatcher, capacity_kg=Decimal("50.00")
            ),
            allowed={("Delivery", "VehicleCapacityBelowLoad"), ("Vehicle", "VehicleOverCapacity")},
        )

        vehicle.refresh_from_db()
        load = vehicle_load_kg(vehicle=vehicle)
        assert load <= vehicle.capacity_kg, (kinds, load, vehicle.capacity_kg)


@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"role": "dispatcher"}], ids=["deactivate", "demote"]
)
def test_a_driver_deactivated_or_demoted_racing_an_assignment_never_keeps_it(
    change, admin_user, dispatcher
):
    for round_no in range(PAIRS):
        driver = UserFactory()
        vehicle = VehicleFactory()
        delivery = DeliveryFactory()
        [read_by_edit] = _as_requests_read(driver)

        race_pair(
            round_no,
            assign(delivery.pk, vehicle.pk, driver.pk, dispatcher.pk),
            lambda u=read_by_edit: user_update(user=u, actor=admin_user, **change),
            allowed={("Delivery", "DriverHasActiveDeliveries"), ("DriverNotADriver", "User")},
        )

        offending = Delivery.objects.filter(status__in=ACTIVE_STATUSES).exclude(
            driver__role=Role.DRIVER, driver__is_active=True
        )
        assert list(offending.values_list("tracking_code", "driver__username")) == []


# The database's last line ------------------------------------------------------------


def _refused_by_the_database(write) -> str | None:
    """Runs ``write`` in a transaction of its own and returns the constraint the database
    named when it refused it (the test fails if it did not)."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        write()
    return refused_constraint(refused.value)


def test_the_database_refuses_an_active_delivery_on_a_vehicle_off_the_road(driver):
    for trait in ("in_maintenance", "out_of_service"):
        vehicle = VehicleFactory(**{trait: True})
        delivery = DeliveryFactory()

        constraint = _refused_by_the_database(
            lambda v=vehicle, d=delivery: Delivery.objects.filter(pk=d.pk).update(
                status=DeliveryStatus.ASSIGNED, vehicle=v, driver=driver
            )
        )

        assert constraint == f"vehicle_{trait}"
        assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING
        created = _refused_by_the_database(
            lambda v=vehicle: DeliveryFactory(in_transit=True, vehicle=v)
        )
        assert created == f"vehicle_{trait}"


def test_the_database_refuses_taking_an_occupied_vehicle_off_the_road():
    delivery = DeliveryFactory(in_transit=True)
    vehicle = delivery.vehicle

    constraint = _refused_by_the_database(
        lambda: Vehicle.objects.filter(pk=vehicle.pk).update(status=VehicleStatus.OUT_OF_SERVICE)
    )

    assert constraint == "vehicle_has_active_deliveries"
    assert Vehicle.objects.get(pk=vehicle.pk).status == VehicleStatus.AVAILABLE


def test_the_database_keeps_a_vehicles_status_and_its_open_record_together(dispatcher):
    vehicle = VehicleFactory()

    without_record = _refused_by_the_database(
        lambda: Vehicle.objects.filter(pk=vehicle.pk).update(status=VehicleStatus.IN_MAINTENANCE)
    )
    record_only = _refused_by_the_database(
        lambda: MaintenanceRecord.objects.create(
            vehicle=vehicle, reason="Oil", started_at=timezone.now()
        )
    )
    vehicle_start_maintenance(vehicle=vehicle, reason="Oil", actor=dispatcher)
    status_only_back = _refused_by_the_database(
        lambda: Vehicle.objects.filter(pk=vehicle.pk).update(status=VehicleStatus.AVAILABLE)
    )

    assert [without_record, record_only, status_only_back] == [
        "vehicle_maintenance_matches_status"
    ] * 3
    vehicle.refresh_from_db()
    assert vehicle.status == VehicleStatus.IN_MAINTENANCE
    assert_maintenance_records_match_statuses()
    vehicle.delete()  # a vehicle goes with its records
    assert not MaintenanceRecord.objects.filter(vehicle_id=vehicle.pk).exists()


def test_raw_writes_racing_each_other_still_keep_the_promise(driver, dispatcher):
    """No service, no lock of ours: the triggers alone decide, whichever commits first."""
    for round_no in range(PAIRS):
        vehicle = VehicleFactory()
        delivery = DeliveryFactory()

        def put_on_vehicle(v=vehicle, d=delivery):
            with transaction.atomic():
                Delivery.objects.filter(pk=d.pk).update(
                    status=DeliveryStatus.ASSIGNED, vehicle=v, driver=driver
                )

        def send_to_maintenance(v=vehicle):
            with transaction.atomic():
                MaintenanceRecord.objects.create(vehicle=v, reason="Raw", started_at=timezone.now())
                Vehicle.objects.filter(pk=v.pk).update(status=VehicleStatus.IN_MAINTENANCE)

        calls = [put_on_vehicle, send_to_maintenance]
        if round_no % 2:
            calls.reverse()
        outcomes = run_together(calls)

        refused = [o for o in outcomes if isinstance(o, IntegrityError)]
        assert len(refused) == 1, outcomes
        assert refused_constraint(refused[0]) in {
            "vehicle_in_maintenance",
            "vehicle_has_active_deliveries",
        }
    assert_no_active_delivery_on_a_vehicle_in_maintenance()
    assert_maintenance_records_match_statuses()


def test_a_refusal_by_the_database_reaches_the_caller_as_the_rules_code(
    driver, dispatcher, monkeypatch
):
    """Should the service's own check ever miss, the client still gets the same code."""
    monkeypatch.setattr(deliveries_service, "_check_assignment", lambda **kwargs: None)
    vehicle = VehicleFactory(in_maintenance=True)
    delivery = DeliveryFactory()

    with pytest.raises(VehicleInMaintenance) as refused:
        delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    assert refused.value.attr == "vehicle_id"
    assert vehicle.plate_number in refused.value.detail
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
