"""Demo data: accounts, a fleet and two years of deliveries to try LogiTrack with.

Accounts go through ``services.users`` and vehicles through ``services.fleet``. The
deliveries and their events, the bulk of the rows, are planned in Python and written
in batches of ``DELIVERY_BATCH_SIZE``: with ``COPY`` on PostgreSQL, with
``bulk_create`` elsewhere. They keep the assignment rules by construction: an
``assigned``/``in_transit`` delivery only goes to an available vehicle with room left
for it (the load each vehicle already carries is read first and tracked as rows are
added), driven by an active driver; a pending one has neither. Every delivery gets
the events a real one would have had, oldest first, from its creation to its status.

Runs are reproducible: the data depend only on the requested counts and on what
the database already holds (tracking codes excepted, which stay unguessable), with
times laid out around the moment of the run.
"""

import bisect
import datetime as dt
import io
import itertools
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.db import connection, models, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from deliveries.models import (
    ACTIVE_STATUSES,
    TRACKING_ALPHABET,
    TRACKING_CODE_LENGTH,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    generate_tracking_code,
)
from fleet.models import Vehicle, VehicleStatus, VehicleType
from logitrack import cache
from services.fleet import vehicle_create, vehicle_start_maintenance, vehicle_take_out_of_service
from services.users import user_create
from users.models import Role, User

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "logitrack-admin"  # noqa: S105 - published demo credentials
DEMO_DISPATCHER_USERNAME = "dispatcher"
DEMO_DISPATCHER_PASSWORD = "logitrack-dispatcher"  # noqa: S105 - published demo credentials
DEMO_DRIVER_USERNAME_PREFIX = "driver"
DEMO_DRIVER_PASSWORD = "logitrack-driver"  # noqa: S105 - published demo credentials
DEMO_PLATE_PREFIX = "DEMO"

# The creation event of every demo delivery carries this note; it is how a later run
# knows how many demo deliveries exist already.
DEMO_CREATION_NOTE = "Created (demo data)"

DEMO_SEED = 20240917
DELIVERY_BATCH_SIZE = 10_000
EVENT_BATCH_SIZE = 10_000

S = DeliveryStatus
# The first demo deliveries take every status in turn, so that even a tiny data set
# shows them all.
FIRST_STATUSES = (S.PENDING, S.ASSIGNED, S.IN_TRANSIT, S.DELIVERED, S.FAILED, S.CANCELLED)
# Share of deliveries scheduled around now (a day back to three weeks ahead); the
# rest lie in the past two years.
CURRENT_SHARE = 0.08
CURRENT_STATUSES = (S.PENDING, S.ASSIGNED, S.IN_TRANSIT, S.DELIVERED, S.CANCELLED)
CURRENT_CUM_WEIGHTS = tuple(itertools.accumulate((40, 38, 14, 5, 3)))
PAST_STATUSES = (S.DELIVERED, S.FAILED, S.CANCELLED)
PAST_CUM_WEIGHTS = tuple(itertools.accumulate((88, 6, 6)))

HOUR = 3600.0
DAY = 24 * HOUR

# The vocabulary of the demo data. Plain text only: no tab, newline or backslash.
FIRST_NAMES = (
    "Emma", "Liam", "Sophie", "Noah", "Julia", "Lucas", "Mila", "Daan", "Tess", "Sem",
    "Anna", "Finn", "Sara", "Levi", "Eva", "Milan", "Lotte", "Jesse", "Nora", "Thijs",
    "Fatima", "Mohamed", "Yara", "Adam", "Zoë", "Omar", "Lina", "Ravi", "Mei", "Jonas",
    "Ines", "Mateo", "Chloé", "Pieter", "Hanna", "Bram", "Amira", "Kofi", "Elif", "Tom",
)  # fmt: skip
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
    "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
    "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
    "de Graaf", "van der Meer", "Kaya", "Yilmaz", "El Amrani", "Nguyen", "Martens",
    "Kowalski", "Schmidt", "Dubois", "Rossi", "Garcia", "Okafor", "Chen", "Singh",
)  # fmt: skip
STREETS = (
    "Keizersgracht", "Herengracht", "Damrak", "Kalverstraat", "Oudegracht", "Coolsingel",
    "Lange Voorhout", "Stationsplein", "Marktstraat", "Kerkstraat", "Dorpsstraat",
    "Molenweg", "Schoolstraat", "Julianalaan", "Wilhelminastraat", "Beatrixlaan",
    "Nieuwstraat", "Hoofdweg", "Parklaan", "Vondelstraat", "Rembrandtplein",
    "Zeestraat", "Havenkade", "Spoorlaan", "Emmasingel", "Breestraat", "Lindenlaan",
)  # fmt: skip
CITIES = (
    "Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg",
    "Almere", "Breda", "Nijmegen", "Haarlem", "Arnhem", "Leiden", "Maastricht", "Delft",
    "Zwolle", "Amersfoort", "Den Bosch", "Leeuwarden", "Enschede",
)  # fmt: skip
DEPOTS = (
    "LogiTrack Hub Amsterdam, Abberdaan 200, 1046 AB Amsterdam",
    "LogiTrack Hub Rotterdam, Waalhaven Zuidzijde 19, 3089 JH Rotterdam",
    "LogiTrack Hub Utrecht, Atoomweg 50, 3542 AB Utrecht",
    "LogiTrack Hub Eindhoven, Flight Forum 2, 5657 DA Eindhoven",
    "LogiTrack Hub Tilburg, Ringbaan-West 240, 5038 KE Tilburg",
    "LogiTrack Hub Groningen, Osloweg 110, 9723 BX Groningen",
)
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
DELIVERY_NOTES = (
    "Leave with the neighbours if nobody is home.",
    "Call on arrival.",
    "Fragile: handle with care.",
    "Ring the bell twice.",
    "Deliver to the reception desk.",
    "Side entrance, around the back.",
)
FAILURE_REASONS = (
    "Recipient not at home",
    "Address not found",
    "Refused by the recipient",
    "Building not accessible",
    "Parcel damaged in transit",
)
CANCEL_REASONS = (
    "Cancelled by the sender",
    "Duplicate order",
    "Recipient moved away",
    "Order withdrawn by the customer",
)
MAINTENANCE_REASONS = (
    "Scheduled service",
    "Annual inspection",
    "Brake pads replaced",
    "Tyre change",
    "Engine warning light",
    "Bodywork repair after a scrape",
)
# (type, share, (make, model) pairs, capacity range in kg)
VEHICLE_KINDS = (
    (
        VehicleType.VAN,
        45,
        (
            ("Ford", "Transit"),
            ("Mercedes-Benz", "Sprinter"),
            ("Renault", "Master"),
            ("Volkswagen", "Crafter"),
            ("Fiat", "Ducato"),
        ),
        (800, 1500),
    ),
    (
        VehicleType.TRUCK,
        20,
        (("DAF", "LF"), ("Volvo", "FL"), ("Mercedes-Benz", "Atego"), ("Scania", "P 280")),
        (4000, 12000),
    ),
    (
        VehicleType.CAR,
        15,
        (("Volkswagen", "Caddy"), ("Citroën", "Berlingo"), ("Toyota", "Proace City")),
        (300, 650),
    ),
    (VehicleType.MOTORCYCLE, 10, (("Honda", "NSS 125"), ("Yamaha", "NMAX")), (25, 60)),
    (VehicleType.BICYCLE, 10, (("Urban Arrow", "Cargo L"), ("Babboe", "Pro Bike")), (80, 150)),
)
VEHICLE_KIND_CUM_WEIGHTS = tuple(itertools.accumulate(kind[1] for kind in VEHICLE_KINDS))


def _rng(stream: str) -> random.Random:
    """A generator seeded for one stream of demo data, so each run draws the same values."""
    return random.Random(f"{DEMO_SEED}:{stream}")  # noqa: S311 - demo data, not secrets


def demo_driver_usernames(count: int) -> list[str]:
    return [f"{DEMO_DRIVER_USERNAME_PREFIX}{n}" for n in range(1, count + 1)]


def demo_plates(count: int) -> list[str]:
    return [f"{DEMO_PLATE_PREFIX}{n:04d}" for n in range(1, count + 1)]


def demo_vehicle_status(number: int) -> VehicleStatus:
    """Which state the ``number``-th demo vehicle (1-based) is put in when created."""
    if number % 10 == 4 or number % 25 == 7:
        return VehicleStatus.IN_MAINTENANCE
    if number % 20 == 9:
        return VehicleStatus.OUT_OF_SERVICE
    return VehicleStatus.AVAILABLE


def demo_delivery_count() -> int:
    """How many demo deliveries the database holds (those with the demo creation event)."""
    return DeliveryEvent.objects.filter(from_status="", note=DEMO_CREATION_NOTE).count()


# on_progress(stage, done, total)
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class DemoSeedResult:
    users_created: int = 0
    vehicles_created: int = 0
    deliveries_created: int = 0
    events_created: int = 0
    demo_deliveries: int = 0
    deliveries_by_status: dict[str, int] = field(default_factory=dict)
    vehicles_by_status: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def demo_seed(
    *,
    vehicles: int,
    drivers: int,
    deliveries: int,
    on_progress: ProgressCallback | None = None,
) -> DemoSeedResult:
    """Creates what is missing of the demo data set of the given size; idempotent.

    Larger counts top an existing data set up; smaller ones create nothing. Runs as one
    transaction (on PostgreSQL with ``synchronous_commit`` off). The demo vehicles and
    drivers are locked (``SELECT … FOR UPDATE``, vehicles then users, each in
    primary-key order) before any delivery is written, so no concurrent assignment or
    maintenance can slip between the loads read here and the rows added.
    ``on_progress(stage, done, total)`` follows the long stages: ``"vehicles"`` created
    and ``"deliveries"`` written.
    """
    result = DemoSeedResult()
    dispatcher = _ensure_staff(result)
    _ensure_drivers(drivers, result)
    _ensure_vehicles(vehicles, actor=dispatcher, result=result, on_progress=on_progress)

    # Counted under the fleet's locks, so a second run at the same time waits for this
    # one and then finds its deliveries.
    fleet = _lock_fleet(vehicles, drivers)
    existing = demo_delivery_count()
    wanted = max(0, deliveries - existing)
    if wanted:
        planner = _DeliveryPlanner(
            fleet=fleet, dispatcher_id=dispatcher.pk, now=timezone.now(), first_index=existing
        )
        if on_progress is not None:
            on_progress("deliveries", 0, wanted)
        with connection.cursor() as cursor:
            writer = _CopyWriter(cursor) if _CopyWriter.supported() else _BulkCreateWriter()
            for start in range(existing, existing + wanted, DELIVERY_BATCH_SIZE):
                stop = min(start + DELIVERY_BATCH_SIZE, existing + wanted)
                rows, events = planner.plan(start, stop)
                writer.write(rows, events)
                result.deliveries_created += len(rows)
                result.events_created += len(events)
                if on_progress is not None:
                    on_progress("deliveries", result.deliveries_created, wanted)

    result.demo_deliveries = existing + wanted
    cache.bump(cache.VEHICLES, cache.STATS)
    result.deliveries_by_status = _count_by_status(Delivery.objects.all())
    result.vehicles_by_status = _count_by_status(
        Vehicle.objects.filter(plate_number__in=demo_plates(vehicles))
    )
    return result


def _count_by_status(queryset: models.QuerySet) -> dict[str, int]:
    rows = queryset.order_by().values_list("status").annotate(n=Count("pk"))
    return dict(rows)


# Accounts -------------------------------------------------------------------------


def _ensure_staff(result: DemoSeedResult) -> User:
    """The demo admin and dispatcher; returns the dispatcher, the actor of demo writes."""
    accounts = (
        (DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD, Role.ADMIN, "Alex", "Admin"),
        (DEMO_DISPATCHER_USERNAME, DEMO_DISPATCHER_PASSWORD, Role.DISPATCHER, "Dana", "Visser"),
    )
    users = {}
    for username, password, role, first_name, last_name in accounts:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=None,
                password=password,
                username=username,
                email=f"{username}@example.com",
                first_name=first_name,
                last_name=last_name,
                role=role,
            )
            result.users_created += 1
        users[username] = user
    return users[DEMO_DISPATCHER_USERNAME]


def _driver_fields(username: str) -> dict:
    number = int(username.removeprefix(DEMO_DRIVER_USERNAME_PREFIX))
    rng = _rng(f"driver:{number}")
    return {
        "username": username,
        "email": f"{username}@example.com",
        "first_name": rng.choice(FIRST_NAMES),
        "last_name": rng.choice(LAST_NAMES),
        "phone": f"+316{rng.randrange(10**8):08d}",
        "role": Role.DRIVER,
    }


def _ensure_drivers(count: int, result: DemoSeedResult) -> None:
    """Creates the missing ``driver1..driverN``.

    The first one goes through ``user_create``; the others share its password, and its
    hash (hashing costs about a third of a second each), and are written in bulk after
    the same checks ``user_create`` makes.
    """
    names = demo_driver_usernames(count)
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    missing = [name for name in names if name not in existing]
    if not missing:
        return
    first = user_create(actor=None, password=DEMO_DRIVER_PASSWORD, **_driver_fields(missing[0]))
    others = []
    for name in missing[1:]:
        user = User(**_driver_fields(name), password=first.password)
        validate_password(DEMO_DRIVER_PASSWORD, user)
        user.full_clean(validate_unique=False)
        others.append(user)
    User.objects.bulk_create(others, batch_size=1_000)
    result.users_created += len(missing)


# Vehicles -------------------------------------------------------------------------


def _vehicle_fields(number: int, plate: str) -> dict:
    rng = _rng(f"vehicle:{number}")
    vehicle_type, _, makes, (low, high) = rng.choices(
        VEHICLE_KINDS, cum_weights=VEHICLE_KIND_CUM_WEIGHTS
    )[0]
    make, model = rng.choice(makes)
    step = 5 if high <= 200 else 50
    return {
        "plate_number": plate,
        "make": make,
        "model": model,
        "year": rng.randint(2012, 2025),
        "vehicle_type": vehicle_type,
        "capacity_kg": Decimal(rng.randrange(low, high + 1, step)),
    }


def _ensure_vehicles(
    count: int, *, actor: User, result: DemoSeedResult, on_progress: ProgressCallback | None
) -> None:
    plates = demo_plates(count)
    existing = set(
        Vehicle.objects.filter(plate_number__in=plates).values_list("plate_number", flat=True)
    )
    missing = [
        (number, plate) for number, plate in enumerate(plates, start=1) if plate not in existing
    ]
    for number, plate in missing:
        vehicle = vehicle_create(actor=actor, **_vehicle_fields(number, plate))
        status = demo_vehicle_status(number)
        if status == VehicleStatus.IN_MAINTENANCE:
            reason = MAINTENANCE_REASONS[number % len(MAINTENANCE_REASONS)]
            vehicle_start_maintenance(vehicle=vehicle, reason=reason, actor=actor)
        elif status == VehicleStatus.OUT_OF_SERVICE:
            vehicle_take_out_of_service(vehicle=vehicle, actor=actor)
        result.vehicles_created += 1
        if on_progress is not None:
            on_progress("vehicles", result.vehicles_created, len(missing))


# Deliveries -----------------------------------------------------------------------
#
# A planned delivery is a tuple of column values, in DELIVERY_COLUMNS order, with
# weights in hundredths of a kilogram and times in whole seconds since the Unix epoch
# (the moves of one delivery are always seconds apart, so their order survives); its
# events are (position in the batch, from_status, to_status, at, actor_id, note).

DELIVERY_COLUMNS = (
    "tracking_code",
    "status",
    "origin_address",
    "destination_address",
    "recipient_name",
    "recipient_phone",
    "recipient_email",
    "weight_kg",
    "scheduled_for",
    "notes",
    "failure_reason",
    "vehicle_id",
    "driver_id",
    "created_at",
    "updated_at",
    "delivered_at",
)
# Demo history is old news: its e-mails count as sent (notified_at = at).
EVENT_COLUMNS = (
    "delivery_id",
    "from_status",
    "to_status",
    "at",
    "actor_id",
    "note",
    "notified_at",
)
_TIME_COLUMNS = frozenset({"scheduled_for", "created_at", "updated_at", "delivered_at", "at"})

DeliveryRow = tuple
EventRow = tuple[int, str, str, int, int | None, str]


@dataclass
class _Slot:
    """A demo vehicle as the planner sees it; weights in hundredths of a kilogram."""

    pk: int
    plate: str
    capacity: int
    load: int
    driver_id: int | None
    driver_username: str


@dataclass
class _Fleet:
    vehicles: list[_Slot]
    available: list[_Slot]


def _cents(value: Decimal) -> int:
    return int(value * 100)


def _lock_fleet(vehicle_count: int, driver_count: int) -> _Fleet:
    """Locks the demo vehicles and active demo drivers and reads each vehicle's load."""
    vehicles = list(
        Vehicle.objects.select_for_update()
        .filter(plate_number__in=demo_plates(vehicle_count))
        .order_by("pk")
    )
    drivers = list(
        User.objects.select_for_update()
        .filter(username__in=demo_driver_usernames(driver_count), role=Role.DRIVER, is_active=True)
        .order_by("pk")
    )
    loads = dict(
        Delivery.objects.filter(vehicle__in=vehicles, status__in=ACTIVE_STATUSES)
        .order_by()
        .values_list("vehicle")
        .annotate(total=Sum("weight_kg"))
    )
    fleet = _Fleet(vehicles=[], available=[])
    for index, vehicle in enumerate(vehicles):
        # Each vehicle has a regular driver; drivers share vehicles when there are fewer.
        driver = drivers[index % len(drivers)] if drivers else None
        slot = _Slot(
            pk=vehicle.pk,
            plate=vehicle.plate_number,
            capacity=_cents(vehicle.capacity_kg),
            load=_cents(loads.get(vehicle.pk) or Decimal("0")),
            driver_id=driver.pk if driver else None,
            driver_username=driver.username if driver else "",
        )
        fleet.vehicles.append(slot)
        if vehicle.status == VehicleStatus.AVAILABLE:
            fleet.available.append(slot)
    return fleet


class _DeliveryPlanner:
    """Plans demo deliveries and their histories, tracking each vehicle's load."""

    def __init__(
        self, *, fleet: _Fleet, dispatcher_id: int, now: dt.datetime, first_index: int
    ) -> None:
        self.fleet = fleet
        self.dispatcher_id = dispatcher_id
        self.now = now.timestamp()
        self.codes: set[str] = set()
        self.random = _rng(f"deliveries:{first_index}").random

    def pick(self, options: tuple | list):
        return options[int(self.random() * len(options))]

    def between(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def tracking_codes(self, count: int) -> list[str]:
        """``count`` new tracking codes, unique within the run.

        The codes of ``generate_tracking_code`` (same prefix, alphabet, length and
        source of randomness), drawn in bulk: one ``os.urandom`` call per batch rather
        than a system call per character, which would dominate a large run.
        """
        codes: list[str] = []
        while len(codes) < count:
            # Bytes past the last whole multiple of the alphabet's size are dropped, so
            # every character is equally likely.
            needed = (count - len(codes)) * TRACKING_CODE_LENGTH
            chars = os.urandom(needed + needed // 8 + 64).translate(_CODE_CHARS, _CODE_REJECTED)
            for start in range(0, len(chars) - TRACKING_CODE_LENGTH + 1, TRACKING_CODE_LENGTH):
                code = _CODE_PREFIX + chars[start : start + TRACKING_CODE_LENGTH].decode()
                if code not in self.codes:
                    self.codes.add(code)
                    codes.append(code)
                    if len(codes) == count:
                        break
        return codes

    def weight(self, light: bool) -> int:
        r = self.random()
        if light or r < 0.40:  # letters and small parcels
            return 10 + int(self.random() * 190)
        if r < 0.87:  # parcels
            return 200 + int(self.random() * 2_800)
        if r < 0.98:  # bulky goods
            return 3_000 + int(self.random() * 12_000)
        return 15_000 + int(self.random() * 45_000)  # pallets

    def address(self) -> str:
        pick, random = self.pick, self.random
        postcode = f"{1000 + int(random() * 9000)} {pick(POSTCODE_LETTERS)}{pick(POSTCODE_LETTERS)}"
        return f"{pick(STREETS)} {1 + int(random() * 250)}, {postcode} {pick(CITIES)}"

    def daytime(self, ts: float) -> float:
        """The same day as ``ts``, at a working hour."""
        return ts - ts % DAY + self.between(7 * HOUR, 19 * HOUR)

    def vehicle_with_room(self, weight: int) -> _Slot | None:
        """An available vehicle that can take ``weight`` more; its load grows by it."""
        available = self.fleet.available
        if not available:
            return None
        for _ in range(8):
            slot = self.pick(available)
            if slot.load + weight <= slot.capacity:
                slot.load += weight
                return slot
        return None

    def past_vehicle(self, weight: int) -> _Slot | None:
        """Any demo vehicle, preferably one big enough: this trip is over."""
        vehicles = self.fleet.vehicles
        if not vehicles:
            return None
        slot = self.pick(vehicles)
        for _ in range(4):
            if slot.capacity >= weight:
                break
            slot = self.pick(vehicles)
        return slot

    def status(self, index: int) -> tuple[str, bool]:
        """The delivery's status, and whether it is scheduled around now."""
        if index < len(FIRST_STATUSES):
            status = FIRST_STATUSES[index]
            return status, status in (S.PENDING, S.ASSIGNED, S.IN_TRANSIT)
        if self.random() < CURRENT_SHARE:
            return _weighted(CURRENT_STATUSES, CURRENT_CUM_WEIGHTS, self.random()), True
        return _weighted(PAST_STATUSES, PAST_CUM_WEIGHTS, self.random()), False

    def plan(self, start: int, stop: int) -> tuple[list[DeliveryRow], list[EventRow]]:
        """Deliveries ``start..stop-1`` of the demo sequence and all their events."""
        rows: list[DeliveryRow] = []
        events: list[EventRow] = []
        codes = self.tracking_codes(stop - start)
        for position, index in enumerate(range(start, stop)):
            row, history = self.delivery(index, codes[position])
            rows.append(row)
            events.extend(
                (position, from_status, to_status, int(at), actor_id, note)
                for from_status, to_status, at, actor_id, note in history
            )
        return rows, events

    def delivery(self, index: int, tracking_code: str) -> tuple[DeliveryRow, list[tuple]]:
        random, between, pick, now = self.random, self.between, self.pick, self.now
        status, current = self.status(index)
        weight = self.weight(light=index < len(FIRST_STATUSES))

        # When it is due, when it was ordered, and the moves in between.
        if status == S.IN_TRANSIT or (current and status == S.DELIVERED):
            scheduled = now - between(0.5 * HOUR, 8 * HOUR)
        elif current:
            scheduled = self.daytime(now + between(-DAY, 21 * DAY))
        else:
            scheduled = self.daytime(now - between(2 * DAY, 730 * DAY))
        created = min(scheduled - between(0.25 * DAY, 10 * DAY), now - between(300, DAY))
        horizon = min(scheduled, now)  # assignment and cancellation happen before this

        slot = None
        if status in ACTIVE_STATUSES:
            slot = self.vehicle_with_room(weight)
            if slot is None:  # no room anywhere: it waits for a vehicle
                status = S.PENDING
        elif status in (S.DELIVERED, S.FAILED) or (status == S.CANCELLED and random() < 0.4):
            slot = self.past_vehicle(weight)
            if slot is None and status != S.CANCELLED:  # no fleet: it never left
                status = S.CANCELLED

        dispatcher = self.dispatcher_id
        driver_id = slot.driver_id if slot else None
        history = [("", S.PENDING, created, dispatcher, DEMO_CREATION_NOTE)]
        last_status, last_at = S.PENDING, created
        if slot is not None:
            last_at = created + (horizon - created) * between(0.2, 0.8)
            note = f"Assigned to {slot.plate}"
            if driver_id:
                note += f" with {slot.driver_username}"
            history.append((last_status, S.ASSIGNED, last_at, dispatcher, note))
            last_status = S.ASSIGNED
        delivered_at = None
        failure_reason = ""
        if status in (S.IN_TRANSIT, S.DELIVERED, S.FAILED):
            if current:
                last_at = scheduled + (now - scheduled) * between(0.0, 0.6)
            else:  # leaves a few hours before it is due
                last_at = max(last_at + 60, scheduled - between(1 * HOUR, 4 * HOUR))
            history.append((last_status, S.IN_TRANSIT, last_at, driver_id or dispatcher, ""))
            last_status = S.IN_TRANSIT
            if status != S.IN_TRANSIT:
                if current:
                    last_at += (now - last_at) * between(0.2, 0.95)
                else:  # most arrive by the time they are due, some up to an hour late
                    last_at = max(last_at + 600, scheduled + between(-0.9 * HOUR, 0.4 * HOUR))
                note = ""
                if status == S.FAILED:
                    failure_reason = note = pick(FAILURE_REASONS)
                else:
                    delivered_at = last_at
                history.append((last_status, status, last_at, driver_id or dispatcher, note))
        elif status == S.CANCELLED:
            last_at += (horizon - last_at) * between(0.1, 0.9)
            history.append((last_status, status, last_at, dispatcher, pick(CANCEL_REASONS)))

        first_name, last_name = pick(FIRST_NAMES), pick(LAST_NAMES)
        email = ""
        if random() < 0.7:
            email = f"{first_name}.{last_name}@{pick(EMAIL_DOMAINS)}".lower().replace(" ", "")
        row = (
            tracking_code,
            status,
            pick(DEPOTS) if random() < 0.85 else self.address(),
            self.address(),
            f"{first_name} {last_name}",
            f"+316{int(random() * 10**8):08d}" if random() < 0.9 else "",
            email,
            weight,
            int(scheduled),
            pick(DELIVERY_NOTES) if random() < 0.15 else "",
            failure_reason,
            slot.pk if slot else None,
            driver_id,
            int(created),
            int(last_at),
            None if delivered_at is None else int(delivered_at),
        )
        return row, history


def _code_tables() -> tuple[str, bytes, bytes]:
    sample = generate_tracking_code()
    prefix = sample[: len(sample) - TRACKING_CODE_LENGTH]
    size = len(TRACKING_ALPHABET)
    usable = 256 - 256 % size
    chars = bytes(ord(TRACKING_ALPHABET[byte % size]) for byte in range(256))
    return prefix, chars, bytes(range(usable, 256))


_CODE_PREFIX, _CODE_CHARS, _CODE_REJECTED = _code_tables()


def _weighted(options: tuple, cum_weights: tuple, r: float):
    return options[bisect.bisect(cum_weights, r * cum_weights[-1])]


def _datetime(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)


# Writing --------------------------------------------------------------------------


class _BulkCreateWriter:
    """Writes planned rows with ``bulk_create``; works on every database."""

    def write(self, rows: list[DeliveryRow], events: list[EventRow]) -> None:
        deliveries = [
            Delivery(
                **{
                    name: _model_value(name, value)
                    for name, value in zip(DELIVERY_COLUMNS, row, strict=True)
                }
            )
            for row in rows
        ]
        with _timestamps_as_given(Delivery):
            Delivery.objects.bulk_create(deliveries, batch_size=DELIVERY_BATCH_SIZE)
        if any(delivery.pk is None for delivery in deliveries):
            # Databases that cannot return ids from a bulk insert.
            ids = dict(
                Delivery.objects.filter(
                    tracking_code__in=[delivery.tracking_code for delivery in deliveries]
                ).values_list("tracking_code", "pk")
            )
            for delivery in deliveries:
                delivery.pk = ids[delivery.tracking_code]
        DeliveryEvent.objects.bulk_create(
            [
                DeliveryEvent(
                    delivery_id=deliveries[position].pk,
                    from_status=from_status,
                    to_status=to_status,
                    at=_datetime(at),
                    actor_id=actor_id,
                    note=note,
                    notified_at=_datetime(at),
                )
                for position, from_status, to_status, at, actor_id, note in events
            ],
            batch_size=EVENT_BATCH_SIZE,
        )


def _model_value(name: str, value):
    if value is None:
        return None
    if name in _TIME_COLUMNS:
        return _datetime(value)
    if name == "weight_kg":
        return Decimal(value).scaleb(-2)
    return value


@contextmanager
def _timestamps_as_given(model: type[models.Model]) -> Iterator[None]:
    """Lets ``bulk_create`` keep the ``auto_now``/``auto_now_add`` values set on the rows.

    Those fields would otherwise all get the time of the write; the demo history needs
    them spread over the past.
    """
    fields = [
        f
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class _CopyWriter:
    """Writes planned rows with PostgreSQL's ``COPY … FROM STDIN`` (psycopg2).

    Same rows as ``_BulkCreateWriter``, several times faster: no model instances and no
    per-value preparation. Delivery ids are drawn from the table's sequence first, so
    the events can name their delivery. Text goes out unescaped: it comes from the
    vocabulary above and from demo plates and usernames, none with a tab, newline or
    backslash.
    """

    def __init__(self, cursor) -> None:
        self.cursor = cursor
        # Demo rows can be made again: the commit need not wait for the WAL flush.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        quote = connection.ops.quote_name
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)",
            [Delivery._meta.db_table, Delivery._meta.pk.column],
        )
        self.sequence = cursor.fetchone()[0]
        self.delivery_copy = self._copy_sql(Delivery, ("id", *DELIVERY_COLUMNS), quote)
        self.event_copy = self._copy_sql(DeliveryEvent, EVENT_COLUMNS, quote)
        self.days: dict[int, str] = {}
        self.clock: dict[int, str] = {}

    @staticmethod
    def _copy_sql(model: type[models.Model], names: tuple[str, ...], quote) -> str:
        meta = model._meta
        columns = ", ".join(
            quote(meta.get_field(name.removesuffix("_id")).column) for name in names
        )
        return f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"  # noqa: S608 - model names

    @classmethod
    def supported(cls) -> bool:
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cursor:
            return hasattr(cursor.cursor, "copy_expert")

    def timestamp(self, ts: int | None) -> str:
        if ts is None:
            return "\\N"
        day, second = divmod(ts, 86_400)
        date = self.days.get(day)
        if date is None:
            date = self.days[day] = (EPOCH_DATE + dt.timedelta(days=day)).isoformat()
        clock = self.clock.get(second)
        if clock is None:
            minutes, seconds = divmod(second, 60)
            clock = self.clock[second] = f" {minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}+00"
        return date + clock

    def write(self, rows: list[DeliveryRow], events: list[EventRow]) -> None:
        cursor = self.cursor
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [self.sequence, len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
        stamp = self.timestamp
        lines = []
        for pk, row in zip(ids, rows, strict=True):
            (code, status, origin, destination, name, phone, email, weight, scheduled, notes,
             failure, vehicle_id, driver_id, created, updated, delivered) = row  # fmt: skip
            lines.append(
                "\t".join(
                    (
                        str(pk),
                        code,
                        status,
                        origin,
                        destination,
                        name,
                        phone,
                        email,
                        f"{weight // 100}.{weight % 100:02d}",
                        stamp(scheduled),
                        notes,
                        failure,
                        "\\N" if vehicle_id is None else str(vehicle_id),
                        "\\N" if driver_id is None else str(driver_id),
                        stamp(created),
                        stamp(updated),
                        stamp(delivered),
                    )
                )
            )
        lines.append("")
        cursor.copy_expert(self.delivery_copy, io.StringIO("\n".join(lines)))
        lines = [
            "\t".join(
                (
                    str(ids[position]),
                    from_status,
                    to_status,
                    stamp(at),
                    "\\N" if actor_id is None else str(actor_id),
                    note,
                    stamp(at),
                )
            )
            for position, from_status, to_status, at, actor_id, note in events
        ]
        lines.append("")
        cursor.copy_expert(self.event_copy, io.StringIO("\n".join(lines)))


EPOCH_DATE = dt.date(1970, 1, 1)
