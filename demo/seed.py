"""The demo data set: accounts, a fleet and two years of deliveries to try LogiTrack with.

Accounts go through ``services.users`` and vehicles through ``services.fleet``; the
deliveries and their events, the bulk of the rows, are planned in ``demo.deliveries``
and written in batches by ``demo.loading``.

Runs are reproducible: the data depend only on the requested counts and on what the
database already holds (tracking codes excepted, which stay unguessable), with times
laid out around the moment of the run.
"""

from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Count
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent
from demo.accounts import demo_drivers, ensure_drivers, ensure_staff
from demo.common import ProgressCallback
from demo.day import plan_drivers_day, round_size
from demo.deliveries import DEMO_CREATION_NOTE, DeliveryPlanner
from demo.fleet import demo_vehicles, ensure_vehicles, lock_fleet
from demo.large_load import lock_tables
from demo.loading import write_deliveries
from logitrack import cache

# From this many new deliveries on, a PostgreSQL load goes through COPY with the
# tables' indexes and foreign keys set aside (see ``demo.large_load``)...
LARGE_LOAD_THRESHOLD = 50_000
# ... provided they add at least a tenth to the table, whose every row the rebuild of
# the indexes reads again.
LARGE_LOAD_SHARE = 10


def demo_delivery_count() -> int:
    """How many demo deliveries the database holds (those with the demo creation event)."""
    return DeliveryEvent.objects.filter(from_status="", note=DEMO_CREATION_NOTE).count()


@dataclass
class DemoSeedResult:
    """What a run created, and what the database holds after it."""

    users_created: int = 0
    vehicles_created: int = 0
    deliveries_created: int = 0
    events_created: int = 0
    round_assigned: int = 0
    demo_drivers: int = 0
    demo_deliveries: int = 0
    deliveries_by_status: dict[str, int] = field(default_factory=dict)
    vehicles_by_status: dict[str, int] = field(default_factory=dict)


def _count_by_status(queryset: models.QuerySet) -> dict[str, int]:
    return dict(queryset.order_by().values_list("status").annotate(n=Count("pk")))


def _is_large(new_deliveries: int, threshold: int) -> bool:
    return (
        connection.vendor == "postgresql"
        and new_deliveries >= threshold
        and new_deliveries * LARGE_LOAD_SHARE >= Delivery.objects.count()
    )


@transaction.atomic
def demo_seed(
    *,
    vehicles: int,
    drivers: int,
    deliveries: int,
    on_progress: ProgressCallback | None = None,
    large_load_threshold: int = LARGE_LOAD_THRESHOLD,
) -> DemoSeedResult:
    """Creates what is missing of the demo data set of the given size; idempotent.

    Larger counts top an existing data set up; smaller ones create nothing. One
    transaction. The demo vehicles, then the demo drivers, are locked (``SELECT … FOR
    UPDATE``, in primary-key order) before any delivery is written, so no concurrent
    assignment or maintenance slips between the loads read here and the rows added. A
    large load first locks the delivery and event tables ``ACCESS EXCLUSIVE`` (before
    the fleet: the services lock a delivery, then its vehicle) until the run commits.

    ``on_progress(stage, done, total)`` follows the long stages: ``"vehicles"``
    created, ``"deliveries"`` written and, after a large load, ``"indexes"`` rebuilt.
    """
    result = DemoSeedResult()
    dispatcher, result.users_created = ensure_staff()
    result.users_created += ensure_drivers(drivers)
    result.vehicles_created = ensure_vehicles(vehicles, actor=dispatcher, on_progress=on_progress)

    large = _is_large(deliveries - demo_delivery_count(), large_load_threshold)
    if large:
        lock_tables()
    # Counted under the fleet's locks (and the tables' for a large load), so a second
    # run at the same time waits for this one and then finds its deliveries.
    fleet = lock_fleet(vehicles, drivers)
    existing = demo_delivery_count()
    wanted = max(0, deliveries - existing)
    in_round = round_size(wanted)
    if wanted > in_round:
        planner = DeliveryPlanner(
            fleet=fleet, dispatcher_id=dispatcher.pk, now=timezone.now(), first_index=existing
        )
        written = write_deliveries(
            planner, first=existing, count=wanted - in_round, large=large, on_progress=on_progress
        )
        result.deliveries_created, result.events_created = written
    if in_round:
        made, events, result.round_assigned = plan_drivers_day(
            dispatcher=dispatcher, now=timezone.now(), size=in_round
        )
        result.deliveries_created += made
        result.events_created += events
    # After commit: every cached list, count and stat may show the new rows.
    cache.bump(cache.VEHICLES, cache.STATS, cache.DELIVERIES, cache.DELIVERY_TOTAL)

    result.demo_drivers = demo_drivers().count()
    result.demo_deliveries = existing + wanted
    result.deliveries_by_status = _count_by_status(Delivery.objects.all())
    result.vehicles_by_status = _count_by_status(demo_vehicles())
    return result
