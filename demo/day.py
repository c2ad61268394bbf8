"""Today's round for the demo drivers, to try the dispatch day with.

The first ``DAY_DRIVERS`` demo drivers each get ``PER_DRIVER`` deliveries, created and
assigned through the services for the coming hours (they count among the demo
deliveries asked for): each with a time window and a destination in Amsterdam, the
second needing a photo and the third a photo and a signature before it can be
completed. The first driver's first delivery is already on its way, with positions
along the road, so it has an ETA. Planned once: a run that finds today's round (by its
note) leaves it as it is.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from deliveries.models import Delivery, DeliveryEvent, ProofKind
from demo.accounts import demo_drivers
from demo.deliveries import DEMO_CREATION_NOTE, recipients
from demo.fleet import demo_vehicles
from demo.vocabulary import DEPOTS
from fleet.models import Vehicle, VehicleStatus
from services.deliveries import delivery_assign, delivery_create, delivery_start
from services.exceptions import RuleViolation
from services.locations import location_points_record
from users.models import User

DAY_NOTE = "Part of the demo drivers' round for today."
DAY_DRIVERS = 10
PER_DRIVER = 3
ROUND_WEIGHT_KG = Decimal("2.50")
PROOFS: tuple[list[str], ...] = ([], [ProofKind.PHOTO], [ProofKind.PHOTO, ProofKind.SIGNATURE])
# Destinations around Amsterdam's centre, and the first driver's road to the first one.
DESTINATIONS = (
    (52.3676, 4.9041),
    (52.3584, 4.8811),
    (52.3731, 4.8922),
    (52.3906, 4.8750),
    (52.3439, 4.9120),
)
ROAD = ((52.3791, 4.9003), (52.3755, 4.8990), (52.3722, 4.9012), (52.3698, 4.9030))


def _round_fields(index: int, slot: int, now: dt.datetime) -> dict:
    """The window (an hour apart for each of a driver's deliveries), destination and
    proofs of a driver's ``slot``-th delivery of the day."""
    start = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1 + slot)
    lat, lng = DESTINATIONS[index % len(DESTINATIONS)]
    return {
        "notes": DAY_NOTE,
        "scheduled_for": start,
        "window_start": start,
        "window_end": start + dt.timedelta(hours=2),
        "proof_required": list(PROOFS[slot]),
        "destination_lat": lat,
        "destination_lng": lng,
    }


def _assign(delivery: Delivery, *, driver: User, vehicles: list[Vehicle], actor: User) -> bool:
    """Assigns ``delivery`` to the first of ``vehicles`` the rules allow."""
    for vehicle in vehicles:
        try:
            delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=actor)
        except RuleViolation:
            continue
        return True
    return False


def _on_the_road(delivery: Delivery, *, driver: User, actor: User, now: dt.datetime) -> None:
    delivery_start(delivery=delivery, actor=actor)
    points = [
        {"lat": lat, "lng": lng, "recorded_at": now - dt.timedelta(minutes=2 * (len(ROAD) - n))}
        for n, (lat, lng) in enumerate(ROAD)
    ]
    location_points_record(driver=driver, points=points)


def _round_drivers() -> list[User]:
    return list(demo_drivers().filter(is_active=True).order_by("pk")[:DAY_DRIVERS])


def _round_vehicles() -> list[Vehicle]:
    return list(demo_vehicles().filter(status=VehicleStatus.AVAILABLE).order_by("pk"))


def round_size(wanted: int) -> int:
    """How many of ``wanted`` new demo deliveries today's round takes: none once it is
    planned, or with no driver or vehicle to give it to."""
    if Delivery.objects.filter(notes=DAY_NOTE).exists() or not _round_vehicles():
        return 0
    return min(wanted, len(_round_drivers()) * PER_DRIVER)


def plan_drivers_day(*, dispatcher: User, now: dt.datetime, size: int) -> tuple[int, int, int]:
    """Creates today's round of ``size`` demo deliveries through the services; returns
    how many deliveries and events it created, and how many it could assign."""
    drivers, vehicles = _round_drivers(), _round_vehicles()
    created, assigned = [], 0
    for index in range(size):
        driver, slot = drivers[index // PER_DRIVER], index % PER_DRIVER
        address, name, phone, email = recipients()[index]
        delivery = delivery_create(
            actor=dispatcher,
            origin_address=DEPOTS[0],
            destination_address=address,
            recipient_name=name,
            recipient_phone=phone,
            recipient_email=email,
            weight_kg=ROUND_WEIGHT_KG,
            **_round_fields(index, slot, now),
        )
        created.append(delivery.pk)
        turn = index // PER_DRIVER % len(vehicles)
        if _assign(
            delivery, driver=driver, vehicles=vehicles[turn:] + vehicles[:turn], actor=dispatcher
        ):
            assigned += 1
            if index == 0:
                _on_the_road(delivery, driver=driver, actor=dispatcher, now=now)
    _settle(now)
    return len(created), DeliveryEvent.objects.filter(delivery_id__in=created).count(), assigned


def _settle(now: dt.datetime) -> None:
    """As every demo delivery: created and last changed at its first and last events,
    its creation noted as demo data, and its recipient, who is no real person,
    e-mailed about none of it."""
    round_deliveries = Delivery.objects.filter(notes=DAY_NOTE)
    events = DeliveryEvent.objects.filter(delivery=OuterRef("pk"))
    round_deliveries.update(
        created_at=Subquery(events.order_by("at", "id").values("at")[:1]),
        updated_at=Subquery(events.order_by("-at", "-id").values("at")[:1]),
    )
    DeliveryEvent.objects.filter(delivery__in=round_deliveries, from_status="").update(
        note=DEMO_CREATION_NOTE
    )
    DeliveryEvent.objects.filter(delivery__in=round_deliveries, notified_at__isnull=True).update(
        notified_at=now
    )
