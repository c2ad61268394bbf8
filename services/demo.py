"""Demo data: accounts, a fleet and two years of deliveries to try LogiTrack with.

Accounts go through ``services.users`` and vehicles through ``services.fleet``. The
deliveries and their events, the bulk of the rows, are planned in Python and written
in batches of ``DELIVERY_BATCH_SIZE``: with ``COPY`` on PostgreSQL, with
``bulk_create`` elsewhere; the next batch is planned while the database takes in the
last one. They keep the assignment rules by construction: an ``assigned``/``in_transit``
delivery only goes to an available vehicle with room left for it (the load each
vehicle already carries is read first and tracked as rows are added), driven by an
active driver; a pending one has neither. Every delivery gets the events a real one
would have had, oldest first, from its creation to its status, and goes to one of a
fixed base of demo customers.

A large load on PostgreSQL (``LARGE_LOAD_THRESHOLD`` new deliveries or more, adding a
tenth to the table at least) sets the secondary indexes and foreign-key checks of the
delivery and event tables aside while it writes, rebuilds them with the definitions
read from the catalog, and refreshes the planner statistics, all in the run's one
transaction; see ``_large_load``.

Runs are reproducible: the data depend only on the requested counts and on what
the database already holds (tracking codes excepted, which stay unguessable), with
times laid out around the moment of the run.
"""

import datetime as dt
import functools
import io
import itertools
import os
import random
import struct
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.db import DatabaseError, connection, models, transaction
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
# From this many new deliveries on, a PostgreSQL load rebuilds the tables' indexes
# once at the end rather than updating them row by row (see ``_large_load``)...
LARGE_LOAD_THRESHOLD = 50_000
# ... provided they add at least a tenth to the table: measured, a top-up of a tenth
# costs about the same either way.
LARGE_LOAD_SHARE = 10

S = DeliveryStatus
# The first demo deliveries take every status in turn, so that even a tiny data set
# shows them all.
FIRST_STATUSES = (S.PENDING, S.ASSIGNED, S.IN_TRANSIT, S.DELIVERED, S.FAILED, S.CANCELLED)
# Share of deliveries scheduled around now (a day back to three weeks ahead); the
# rest lie in the past two years.
CURRENT_SHARE = 0.08
CURRENT_STATUS_WEIGHTS = (
    (S.PENDING, 40), (S.ASSIGNED, 38), (S.IN_TRANSIT, 14), (S.DELIVERED, 5), (S.CANCELLED, 3),
)  # fmt: skip
PAST_STATUS_WEIGHTS = ((S.DELIVERED, 88), (S.FAILED, 6), (S.CANCELLED, 6))

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
    large_load_threshold: int = LARGE_LOAD_THRESHOLD,
) -> DemoSeedResult:
    """Creates what is missing of the demo data set of the given size; idempotent.

    Larger counts top an existing data set up; smaller ones create nothing. Runs as one
    transaction (on PostgreSQL with ``synchronous_commit`` off). The demo vehicles and
    drivers are locked (``SELECT … FOR UPDATE``, vehicles then users, each in
    primary-key order) before any delivery is written, so no concurrent assignment or
    maintenance can slip between the loads read here and the rows added.

    On PostgreSQL, when ``large_load_threshold`` new deliveries or more are due (and at
    least a tenth of the deliveries already there), the delivery and event tables are
    first locked ``ACCESS EXCLUSIVE`` (before the fleet: the services lock a delivery,
    then its vehicle) and stay locked, reads included, until the run commits; see
    ``_large_load``.

    ``on_progress(stage, done, total)`` follows the long stages: ``"vehicles"`` created,
    ``"deliveries"`` written and, after a large load, ``"indexes"`` rebuilt.
    """
    result = DemoSeedResult()
    dispatcher = _ensure_staff(result)
    _ensure_drivers(drivers, result)
    _ensure_vehicles(vehicles, actor=dispatcher, result=result, on_progress=on_progress)

    large = (
        deliveries >= large_load_threshold
        and _CopyWriter.supported()
        and _large_load_wanted(deliveries - demo_delivery_count(), large_load_threshold)
    )
    if large:
        _lock_tables(Delivery, DeliveryEvent)
    # Counted under the fleet's locks (and the tables' for a large load), so a second
    # run at the same time waits for this one and then finds its deliveries.
    fleet = _lock_fleet(vehicles, drivers)
    existing = demo_delivery_count()
    wanted = max(0, deliveries - existing)
    if wanted:
        planner = _DeliveryPlanner(
            fleet=fleet, dispatcher_id=dispatcher.pk, now=timezone.now(), first_index=existing
        )
        _write_deliveries(
            planner,
            first=existing,
            count=wanted,
            large=large and wanted >= large_load_threshold,
            result=result,
            on_progress=on_progress,
        )

    result.demo_deliveries = existing + wanted
    cache.bump(cache.VEHICLES, cache.STATS, cache.DELIVERIES, cache.DELIVERY_TOTAL)
    result.deliveries_by_status = _count_by_status(Delivery.objects.all())
    result.vehicles_by_status = _count_by_status(
        Vehicle.objects.filter(plate_number__in=demo_plates(vehicles))
    )
    return result


def _large_load_wanted(new_deliveries: int, threshold: int) -> bool:
    """Whether adding ``new_deliveries`` pays for setting the indexes aside: the load is
    large, and large next to the table, whose every row the rebuild reads again."""
    return (
        new_deliveries >= threshold
        and new_deliveries * LARGE_LOAD_SHARE >= Delivery.objects.count()
    )


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
# The planner writes each batch straight in PostgreSQL's binary COPY format: a header,
# then per row its field count and each field as a length (-1 for NULL) and its bytes,
# then a trailer. Binary rows cost Python no more to build than text ones and spare
# the server parsing a dozen timestamps per delivery. The columns are listed below
# with their kinds; times are whole seconds (the moves of one delivery are always
# seconds apart, so their order survives), weights hundredths of a kilogram. Events
# name their delivery by the id the writer reserved for it. ``_BulkCreateWriter``
# reads the same bytes back into model instances.

INT8, TEXT, NUMERIC, TIMESTAMP = "int8", "text", "numeric", "timestamptz"
DELIVERY_COLUMNS = (
    ("id", INT8),
    ("tracking_code", TEXT),
    ("status", TEXT),
    ("origin_address", TEXT),
    ("destination_address", TEXT),
    ("recipient_name", TEXT),
    ("recipient_phone", TEXT),
    ("recipient_email", TEXT),
    ("weight_kg", NUMERIC),
    ("scheduled_for", TIMESTAMP),
    ("notes", TEXT),
    ("failure_reason", TEXT),
    ("vehicle_id", INT8),
    ("driver_id", INT8),
    ("created_at", TIMESTAMP),
    ("updated_at", TIMESTAMP),
    ("delivered_at", TIMESTAMP),
)
# Demo history is old news: its e-mails count as sent (notified_at = at).
EVENT_COLUMNS = (
    ("id", INT8),
    ("delivery_id", INT8),
    ("from_status", TEXT),
    ("to_status", TEXT),
    ("at", TIMESTAMP),
    ("actor_id", INT8),
    ("note", TEXT),
    ("notified_at", TIMESTAMP),
)
# Creation, assignment, departure, outcome.
MAX_EVENTS_PER_DELIVERY = 4

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, no extension
COPY_TRAILER = b"\xff\xff"
NULL_FIELD = b"\xff\xff\xff\xff"
_INT8_FIELD = struct.Struct(">iq").pack  # _INT8_FIELD(8, value)
_FIELD_COUNT = struct.Struct(">h").pack
# An event row's start: its field count, its id and its delivery's id.
_EVENT_HEAD = struct.Struct(">hiqiq").pack
# Binary timestamps count microseconds from 2000-01-01 UTC.
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_PG_EPOCH_MICROSECONDS = int(PG_EPOCH.timestamp()) * 1_000_000


def _text_field(value: str) -> bytes:
    data = value.encode()
    return len(data).to_bytes(4, "big") + data


def _numeric_field(cents: int) -> bytes:
    """A positive ``numeric`` with two decimals: base-10000 digits, most significant
    first, after their count, the weight of the first, the sign and the scale."""
    whole, fraction = divmod(cents, 100)
    digits = []
    while whole:
        whole, digit = divmod(whole, 10_000)
        digits.insert(0, digit)
    weight = len(digits) - 1  # -1: the first digit comes right after the point
    if fraction:
        digits.append(fraction * 100)
    if not digits:
        weight = 0
    data = struct.pack(f">hhhh{len(digits)}h", len(digits), weight, 0, 2, *digits)
    return len(data).to_bytes(4, "big") + data


@dataclass
class _Batch:
    """Planned deliveries and their events, as binary COPY streams."""

    deliveries: bytes
    events: bytes
    delivery_count: int
    event_count: int
    last_event_id: int | None


@dataclass(slots=True)
class _Slot:
    """A demo vehicle as the planner sees it; weights in hundredths of a kilogram."""

    pk: int
    plate: str
    capacity: int
    load: int
    driver_id: int | None
    driver_username: str
    # Set by the planner: COPY fields for the vehicle, its driver, who moves its
    # deliveries (the driver, else the dispatcher) and the note of an assignment.
    pk_field: bytes = b""
    driver_field: bytes = NULL_FIELD
    mover_field: bytes = b""
    assigned_note_field: bytes = b""


@dataclass
class _Fleet:
    vehicles: list[_Slot]
    available: list[_Slot]


def _cents(value: Decimal) -> int:
    return int(value * 100)


def _lock_tables(*table_models: type[models.Model]) -> None:
    quote = connection.ops.quote_name
    tables = ", ".join(quote(model._meta.db_table) for model in table_models)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")


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


def _weight_table(weights: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """One entry per unit of weight: ``table[int(random() * len(table))]`` draws."""
    return tuple(itertools.chain.from_iterable([str(option)] * n for option, n in weights))


# Plain strings for the planner: its comparisons see values, not enum members.
PENDING, ASSIGNED, IN_TRANSIT, DELIVERED, FAILED, CANCELLED = (str(s) for s in FIRST_STATUSES)
_FIRST_STATUSES = tuple(str(s) for s in FIRST_STATUSES)
_FIRST_CURRENT = frozenset((PENDING, ASSIGNED, IN_TRANSIT))
_CURRENT_TABLE = _weight_table(CURRENT_STATUS_WEIGHTS)
_PAST_TABLE = _weight_table(PAST_STATUS_WEIGHTS)
# Random ranges, as (low, span): a draw is low + span * random().
_IN_TRANSIT_DUE = (0.5 * HOUR, 7.5 * HOUR)  # due half an hour to 8 hours ago
_CURRENT_DUE = (-DAY, 22 * DAY)  # the day: from yesterday to three weeks ahead
_PAST_DUE = (2 * DAY, 728 * DAY)  # the day: from 2 to 730 days ago
_WORKING_HOURS = (7 * HOUR, 12 * HOUR)  # 7:00 to 19:00
_ORDERED = (0.25 * DAY, 9.75 * DAY)  # 6 hours to 10 days before it is due
_ORDERED_BEFORE_NOW = (300, DAY - 300)  # 5 minutes to a day ago
_ASSIGNED = (0.2, 0.6)  # 20 to 80 % of the way to the horizon
_CURRENT_LEFT = (0.0, 0.6)  # up to 60 % of the way from due to now
_PAST_LEFT = (1 * HOUR, 3 * HOUR)  # 1 to 4 hours before it is due
_CURRENT_ARRIVED = (0.2, 0.75)  # 20 to 95 % of the way to now
_PAST_ARRIVED = (-0.9 * HOUR, 1.3 * HOUR)  # from 54 minutes early to 24 minutes late
_CANCELLED = (0.1, 0.8)  # 10 to 90 % of the way to the horizon
_HEAVIEST = 60_000  # hundredths of a kilogram

# Demo deliveries go to a customer base of 2**RECIPIENT_BITS recipients.
RECIPIENT_BITS = 14


def _ascii(name: str) -> str:
    """``name`` without accents or spaces (Zoë de Jong: zoe, dejong): the API accepts
    only ASCII e-mail addresses, and demo data is what the API could have stored."""
    decomposed = unicodedata.normalize("NFKD", name)
    return decomposed.encode("ascii", "ignore").decode().replace(" ", "")


@functools.cache
def _recipients() -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """The demo customers: for each, the COPY fields of a delivery's destination, name,
    phone and e-mail, and (apart) the address field alone."""
    rng = _rng("recipients")
    random, pick = rng.random, rng.choice
    fields, addresses = [], []
    for _ in range(2**RECIPIENT_BITS):
        first_name, last_name = pick(FIRST_NAMES), pick(LAST_NAMES)
        postcode = f"{1000 + int(random() * 9000)} {pick(POSTCODE_LETTERS)}{pick(POSTCODE_LETTERS)}"
        address = _text_field(
            f"{pick(STREETS)} {1 + int(random() * 250)}, {postcode} {pick(CITIES)}"
        )
        phone = f"+316{int(random() * 10**8):08d}" if random() < 0.9 else ""
        email = ""
        if random() < 0.7:
            email = f"{_ascii(first_name)}.{_ascii(last_name)}@{pick(EMAIL_DOMAINS)}".lower()
        name = f"{first_name} {last_name}"
        fields.append(address + _text_field(name) + _text_field(phone) + _text_field(email))
        addresses.append(address)
    return tuple(fields), tuple(addresses)


@functools.cache
def _weight_fields() -> tuple[bytes, ...]:
    """The ``numeric`` COPY field of every weight, by hundredths of a kilogram."""
    return tuple(_numeric_field(cents) for cents in range(_HEAVIEST + 1))


class _DeliveryPlanner:
    """Plans demo deliveries and their histories, tracking each vehicle's load.

    ``plan`` runs on a thread of its own, one batch ahead of the writes: it touches no
    database, only the fleet it was given, and batches must be planned in order.
    """

    def __init__(
        self, *, fleet: _Fleet, dispatcher_id: int, now: dt.datetime, first_index: int
    ) -> None:
        self.fleet = fleet
        self.dispatcher_field = _INT8_FIELD(8, dispatcher_id)
        self.now = now.timestamp()
        self.codes: set[bytes] = set()
        rng = _rng(f"deliveries:{first_index}")
        self.random, self.getrandbits = rng.random, rng.getrandbits
        for slot in fleet.vehicles:
            slot.pk_field = _INT8_FIELD(8, slot.pk)
            if slot.driver_id is not None:
                slot.driver_field = _INT8_FIELD(8, slot.driver_id)
            slot.mover_field = slot.driver_field if slot.driver_id else self.dispatcher_field
            slot.assigned_note_field = _text_field(
                f"Assigned to {slot.plate}"
                + (f" with {slot.driver_username}" if slot.driver_id else "")
            )

    def tracking_codes(self, count: int) -> list[bytes]:
        """``count`` new tracking codes, unique within the run, as COPY fields.

        The codes of ``generate_tracking_code`` (same prefix, alphabet, length and
        source of randomness), drawn in bulk: one ``os.urandom`` call per batch rather
        than a system call per character, which would dominate a large run.
        """
        codes: list[bytes] = []
        while len(codes) < count:
            # Bytes past the last whole multiple of the alphabet's size are dropped, so
            # every character is equally likely.
            needed = (count - len(codes)) * TRACKING_CODE_LENGTH
            chars = os.urandom(needed + needed // 8 + 64).translate(_CODE_CHARS, _CODE_REJECTED)
            for start in range(0, len(chars) - TRACKING_CODE_LENGTH + 1, TRACKING_CODE_LENGTH):
                code = _CODE_FIELD_PREFIX + chars[start : start + TRACKING_CODE_LENGTH]
                if code not in self.codes:
                    self.codes.add(code)
                    codes.append(code)
                    if len(codes) == count:
                        break
        return codes

    def plan(self, start: int, stop: int, ids: Sequence[int], event_ids: Iterator[int]) -> _Batch:
        """Deliveries ``start..stop-1`` of the demo sequence and all their events.

        ``ids[i]`` is the id of delivery ``start + i``; the events take theirs from
        ``event_ids`` in turn. One loop, every lookup in a local name: this is the hot
        path of a large run.
        """
        random, getrandbits, now = self.random, self.getrandbits, self.now
        vehicles, available = self.fleet.vehicles, self.fleet.available
        vehicle_count, available_count = len(vehicles), len(available)
        dispatcher = self.dispatcher_field
        recipients, addresses = _recipients()
        weights = _weight_fields()
        next_event_id = event_ids.__next__
        int8, epoch = _INT8_FIELD, _PG_EPOCH_MICROSECONDS
        delivery_row = _FIELD_COUNT(len(DELIVERY_COLUMNS))
        event_head, fields = _EVENT_HEAD, len(EVENT_COLUMNS)
        status_fields, move_fields = _STATUS_FIELDS, _MOVE_FIELDS
        created_move, assigned_move = move_fields[("", PENDING)], move_fields[(PENDING, ASSIGNED)]
        null, empty, creation_note = NULL_FIELD, _EMPTY_FIELD, _CREATION_NOTE_FIELD
        first_count = len(_FIRST_STATUSES)
        current_count, past_count = len(_CURRENT_TABLE), len(_PAST_TABLE)
        depot_count, note_count = len(DEPOTS), len(DELIVERY_NOTES)
        failure_count, cancel_count = len(FAILURE_REASONS), len(CANCEL_REASONS)
        in_transit_due, in_transit_due_span = _IN_TRANSIT_DUE
        current_due, current_due_span = _CURRENT_DUE
        past_due, past_due_span = _PAST_DUE
        working, working_span = _WORKING_HOURS
        ordered, ordered_span = _ORDERED
        ordered_now, ordered_now_span = _ORDERED_BEFORE_NOW
        assigned, assigned_span = _ASSIGNED
        current_left, current_left_span = _CURRENT_LEFT
        past_left, past_left_span = _PAST_LEFT
        current_arrived, current_arrived_span = _CURRENT_ARRIVED
        past_arrived, past_arrived_span = _PAST_ARRIVED
        cancelled, cancelled_span = _CANCELLED

        delivery_rows: list[bytes] = [COPY_HEADER]
        event_rows: list[bytes] = [COPY_HEADER]
        add_delivery, add_event = delivery_rows.append, event_rows.append
        event_id = None
        codes = self.tracking_codes(stop - start)
        for index, pk, code in zip(range(start, stop), ids, codes, strict=True):
            if index < first_count:
                status = _FIRST_STATUSES[index]
                current = status in _FIRST_CURRENT
                light = True
            elif random() < CURRENT_SHARE:
                status = _CURRENT_TABLE[int(random() * current_count)]
                current, light = True, False
            else:
                status = _PAST_TABLE[int(random() * past_count)]
                current = light = False
            r = random()
            if light or r < 0.40:  # letters and small parcels
                weight = 10 + int(random() * 190)
            elif r < 0.87:  # parcels
                weight = 200 + int(random() * 2_800)
            elif r < 0.98:  # bulky goods
                weight = 3_000 + int(random() * 12_000)
            else:  # pallets
                weight = 15_000 + int(random() * 45_000)

            # When it is due, when it was ordered, and the moves in between.
            if status == IN_TRANSIT or (current and status == DELIVERED):
                scheduled = now - (in_transit_due + in_transit_due_span * random())
            else:
                if current:
                    day = now + (current_due + current_due_span * random())
                else:
                    day = now - (past_due + past_due_span * random())
                scheduled = day - day % DAY + (working + working_span * random())
            created = min(
                scheduled - (ordered + ordered_span * random()),
                now - (ordered_now + ordered_now_span * random()),
            )
            horizon = scheduled if scheduled < now else now  # assignment, cancellation

            slot = None
            if status == ASSIGNED or status == IN_TRANSIT:
                # An available vehicle with room for it; its load grows by it.
                if available_count:
                    for _ in range(8):
                        candidate = available[int(random() * available_count)]
                        if candidate.load + weight <= candidate.capacity:
                            candidate.load += weight
                            slot = candidate
                            break
                if slot is None:  # no room anywhere: it waits for a vehicle
                    status = PENDING
            elif (
                status == DELIVERED or status == FAILED or (status == CANCELLED and random() < 0.4)
            ):
                # Any demo vehicle, preferably one big enough: this trip is over.
                if vehicle_count:
                    slot = vehicles[int(random() * vehicle_count)]
                    for _ in range(4):
                        if slot.capacity >= weight:
                            break
                        slot = vehicles[int(random() * vehicle_count)]
                elif status != CANCELLED:  # no fleet: it never left
                    status = CANCELLED

            # Each event row: its id, the delivery's, the move, when (twice: it is also
            # when its e-mail counts as sent), who, and a note.
            pk_field = int8(8, pk)
            stamp = created_field = int8(8, int(created) * 1_000_000 - epoch)
            event_id = next_event_id()
            add_event(
                b"".join(
                    (event_head(fields, 8, event_id, 8, pk), created_move, stamp, dispatcher,
                     creation_note, stamp)
                )
            )  # fmt: skip
            last_status, last_at = PENDING, created
            if slot is not None:
                last_at = created + (horizon - created) * (assigned + assigned_span * random())
                stamp = int8(8, int(last_at) * 1_000_000 - epoch)
                event_id = next_event_id()
                add_event(
                    b"".join(
                        (event_head(fields, 8, event_id, 8, pk), assigned_move, stamp,
                         dispatcher, slot.assigned_note_field, stamp)
                    )
                )  # fmt: skip
                last_status = ASSIGNED
            delivered_field = null
            failure_field = empty
            if status == IN_TRANSIT or status == DELIVERED or status == FAILED:
                mover = slot.mover_field
                if current:
                    last_at = scheduled + (now - scheduled) * (
                        current_left + current_left_span * random()
                    )
                else:  # leaves a few hours before it is due
                    last_at = max(last_at + 60, scheduled - (past_left + past_left_span * random()))
                stamp = int8(8, int(last_at) * 1_000_000 - epoch)
                event_id = next_event_id()
                add_event(
                    b"".join(
                        (event_head(fields, 8, event_id, 8, pk),
                         move_fields[(last_status, IN_TRANSIT)], stamp, mover, empty,
                         stamp)
                    )
                )  # fmt: skip
                if status != IN_TRANSIT:
                    if current:
                        last_at += (now - last_at) * (
                            current_arrived + current_arrived_span * random()
                        )
                    else:  # most arrive by the time they are due, some up to an hour late
                        last_at = max(
                            last_at + 600,
                            scheduled + (past_arrived + past_arrived_span * random()),
                        )
                    stamp = int8(8, int(last_at) * 1_000_000 - epoch)
                    if status == FAILED:
                        failure_field = _FAILURE_FIELDS[int(random() * failure_count)]
                    else:
                        delivered_field = stamp
                    event_id = next_event_id()
                    add_event(
                        b"".join(
                            (event_head(fields, 8, event_id, 8, pk),
                             move_fields[(IN_TRANSIT, status)], stamp, mover, failure_field,
                             stamp)
                        )
                    )  # fmt: skip
            elif status == CANCELLED:
                last_at += (horizon - last_at) * (cancelled + cancelled_span * random())
                stamp = int8(8, int(last_at) * 1_000_000 - epoch)
                reason = _CANCEL_FIELDS[int(random() * cancel_count)]
                event_id = next_event_id()
                add_event(
                    b"".join(
                        (event_head(fields, 8, event_id, 8, pk),
                         move_fields[(last_status, CANCELLED)], stamp, dispatcher, reason,
                         stamp)
                    )
                )  # fmt: skip

            if random() < 0.85:
                origin = _DEPOT_FIELDS[int(random() * depot_count)]
            else:  # picked up from another customer
                origin = addresses[getrandbits(RECIPIENT_BITS)]
            recipient = recipients[getrandbits(RECIPIENT_BITS)]
            notes = _NOTE_FIELDS[int(random() * note_count)] if random() < 0.15 else empty
            if slot is None:
                vehicle_field = driver_field = null
            else:
                vehicle_field, driver_field = slot.pk_field, slot.driver_field
            # ``stamp`` is the last event's: when the delivery was last updated.
            add_delivery(
                b"".join(
                    (delivery_row, pk_field, code, status_fields[status], origin, recipient,
                     weights[weight], int8(8, int(scheduled) * 1_000_000 - epoch), notes,
                     failure_field, vehicle_field, driver_field, created_field, stamp,
                     delivered_field)
                )
            )  # fmt: skip
        delivery_rows.append(COPY_TRAILER)
        event_rows.append(COPY_TRAILER)
        return _Batch(
            deliveries=b"".join(delivery_rows),
            events=b"".join(event_rows),
            delivery_count=len(delivery_rows) - 2,
            event_count=len(event_rows) - 2,
            last_event_id=event_id,
        )


_EMPTY_FIELD = _text_field("")
_STATUS_FIELDS = {str(status): _text_field(status) for status in DeliveryStatus}
_MOVE_FIELDS = {
    (str(old), str(new)): _text_field(old) + _text_field(new)
    for old in ("", *DeliveryStatus)
    for new in DeliveryStatus
}
_CREATION_NOTE_FIELD = _text_field(DEMO_CREATION_NOTE)
_DEPOT_FIELDS = tuple(_text_field(depot) for depot in DEPOTS)
_NOTE_FIELDS = tuple(_text_field(note) for note in DELIVERY_NOTES)
_FAILURE_FIELDS = tuple(_text_field(reason) for reason in FAILURE_REASONS)
_CANCEL_FIELDS = tuple(_text_field(reason) for reason in CANCEL_REASONS)


def _code_tables() -> tuple[bytes, bytes, bytes]:
    """The COPY field prefix of a tracking code (its length and fixed prefix), and the
    tables that turn random bytes into characters of the alphabet."""
    sample = generate_tracking_code()
    prefix = sample[: len(sample) - TRACKING_CODE_LENGTH]
    size = len(TRACKING_ALPHABET)
    usable = 256 - 256 % size
    chars = bytes(ord(TRACKING_ALPHABET[byte % size]) for byte in range(256))
    field_prefix = len(sample).to_bytes(4, "big") + prefix.encode()
    return field_prefix, chars, bytes(range(usable, 256))


_CODE_FIELD_PREFIX, _CODE_CHARS, _CODE_REJECTED = _code_tables()


def _write_deliveries(
    planner: _DeliveryPlanner,
    *,
    first: int,
    count: int,
    large: bool,
    result: DemoSeedResult,
    on_progress: ProgressCallback | None,
) -> None:
    """Writes demo deliveries ``first..first+count-1``, each batch planned on a worker
    thread while the previous one is written (the COPY and the wait for the server
    release the GIL)."""
    if on_progress is not None:
        on_progress("deliveries", 0, count)
    stop = first + count
    bounds = [
        (start, min(start + DELIVERY_BATCH_SIZE, stop))
        for start in range(first, stop, DELIVERY_BATCH_SIZE)
    ]
    with connection.cursor() as cursor:
        if _CopyWriter.supported():
            writer = _CopyWriter(cursor, id_blocks=large)
        else:
            writer = _BulkCreateWriter()
        loading = (
            _large_load(cursor, (Delivery, DeliveryEvent), on_progress=on_progress)
            if large
            else nullcontext()
        )
        with (
            loading,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-planner") as executor,
        ):

            def submit(start: int, stop: int) -> Future:
                return executor.submit(planner.plan, start, stop, *writer.reserve(stop - start))

            pending = submit(*bounds[0])
            try:
                for number in range(len(bounds)):
                    batch = pending.result()
                    if number + 1 < len(bounds):
                        pending = submit(*bounds[number + 1])
                    writer.write(batch)
                    result.deliveries_created += batch.delivery_count
                    result.events_created += batch.event_count
                    if on_progress is not None:
                        on_progress("deliveries", result.deliveries_created, count)
            finally:
                pending.cancel()
            writer.close()


# Writing --------------------------------------------------------------------------


def _decode_numeric(data: bytes) -> Decimal:
    count, weight, sign, scale = struct.unpack_from(">hhhh", data)
    digits = struct.unpack_from(f">{count}h", data, 8)
    value = sum(
        (Decimal(digit) * Decimal(10_000) ** (weight - i) for i, digit in enumerate(digits)),
        Decimal(0),
    )
    return (-value if sign else value).quantize(Decimal(1).scaleb(-scale))


_DECODERS: dict[str, Callable[[bytes], object]] = {
    INT8: lambda data: int.from_bytes(data, "big", signed=True),
    TEXT: bytes.decode,
    NUMERIC: _decode_numeric,
    TIMESTAMP: lambda data: (
        PG_EPOCH + dt.timedelta(microseconds=int.from_bytes(data, "big", signed=True))
    ),
}


def _read_copy_rows(data: bytes, columns: tuple[tuple[str, str], ...]) -> Iterator[dict]:
    """The rows of a binary COPY stream written with ``columns``, as dictionaries."""
    offset = len(COPY_HEADER)
    while True:
        (field_count,) = struct.unpack_from(">h", data, offset)
        offset += 2
        if field_count == -1:
            return
        row = {}
        for name, kind in columns:
            (length,) = struct.unpack_from(">i", data, offset)
            offset += 4
            if length < 0:
                row[name] = None
            else:
                row[name] = _DECODERS[kind](data[offset : offset + length])
                offset += length
        yield row


class _BulkCreateWriter:
    """Writes planned batches with ``bulk_create``; works on every database.

    Ids are left to the database: the planner is given each delivery's position in
    its batch instead, which the events' ``delivery_id`` is mapped back from.
    """

    @staticmethod
    def reserve(count: int) -> tuple[Sequence[int], Iterator[int]]:
        return range(count), itertools.count()

    def write(self, batch: _Batch) -> None:
        deliveries = []
        for values in _read_copy_rows(batch.deliveries, DELIVERY_COLUMNS):
            del values["id"]
            deliveries.append(Delivery(**values))
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
        events = []
        for values in _read_copy_rows(batch.events, EVENT_COLUMNS):
            del values["id"]
            values["delivery_id"] = deliveries[values["delivery_id"]].pk
            events.append(DeliveryEvent(**values))
        DeliveryEvent.objects.bulk_create(events, batch_size=DELIVERY_BATCH_SIZE)

    def close(self) -> None:
        pass


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
    """Writes planned batches with PostgreSQL's ``COPY … FROM STDIN (FORMAT binary)``.

    Same rows as ``_BulkCreateWriter``, many times faster: the planner's bytes go to
    the server as they are. Ids come from the tables' sequences before the rows are
    planned, so that events can name their delivery: one ``nextval`` each (events get
    room for the most a delivery can have; the unused ids are skipped), or, with
    ``id_blocks`` (only while the tables are locked ``ACCESS EXCLUSIVE``, so that no
    insert can draw from the sequences meanwhile), a block of ids per batch that
    moves the sequence once.
    """

    def __init__(self, cursor, *, id_blocks: bool) -> None:
        self.cursor = cursor
        # Demo rows can be made again: the commit need not wait for the WAL flush.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        self.delivery_sequence = self._sequence(cursor, Delivery)
        self.event_sequence = self._sequence(cursor, DeliveryEvent)
        self.delivery_copy = self._copy_sql(Delivery, DELIVERY_COLUMNS)
        self.event_copy = self._copy_sql(DeliveryEvent, EVENT_COLUMNS)
        cursor.execute(
            "SELECT bool_and(seqincrement = 1) FROM pg_sequence WHERE seqrelid IN (%s, %s)",
            [self.delivery_sequence, self.event_sequence],
        )
        self.id_blocks = id_blocks and bool(cursor.fetchone()[0])
        self.event_ids: Iterator[int] | None = None
        self.last_event_id: int | None = None

    @staticmethod
    def _sequence(cursor, model: type[models.Model]) -> int:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)::regclass::oid",
            [model._meta.db_table, model._meta.pk.column],
        )
        return cursor.fetchone()[0]

    @staticmethod
    def _copy_sql(model: type[models.Model], columns: tuple[tuple[str, str], ...]) -> str:
        meta, quote = model._meta, connection.ops.quote_name
        names = ", ".join(
            quote(meta.get_field(name.removesuffix("_id") or name).column) for name, _ in columns
        )
        return f"COPY {quote(meta.db_table)} ({names}) FROM STDIN WITH (FORMAT binary)"  # noqa: S608

    @classmethod
    def supported(cls) -> bool:
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cursor:
            return hasattr(cursor.cursor, "copy_expert")

    def reserve(self, count: int) -> tuple[Sequence[int], Iterator[int]]:
        """Ids for ``count`` deliveries, and for their events."""
        cursor = self.cursor
        if self.id_blocks:
            cursor.execute(
                "SELECT setval(%s, nextval(%s) + %s - 1)",
                [self.delivery_sequence, self.delivery_sequence, count],
            )
            last = cursor.fetchone()[0]
            if self.event_ids is None:
                cursor.execute("SELECT nextval(%s)", [self.event_sequence])
                # Shared by every batch: the planner numbers events one after another.
                self.event_ids = itertools.count(cursor.fetchone()[0])
            return range(last - count + 1, last + 1), self.event_ids
        cursor.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            [self.delivery_sequence, count],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        cursor.execute(
            "SELECT nextval(%s) FROM generate_series(1, %s)",
            [self.event_sequence, count * MAX_EVENTS_PER_DELIVERY],
        )
        return ids, iter([pk for (pk,) in cursor.fetchall()])

    def write(self, batch: _Batch) -> None:
        if batch.last_event_id is not None:
            self.last_event_id = batch.last_event_id
        # The whole batch in one read: psycopg2 then sends it without taking the GIL
        # back, and the planner keeps working meanwhile.
        for sql, data in ((self.delivery_copy, batch.deliveries), (self.event_copy, batch.events)):
            self.cursor.copy_expert(sql, io.BytesIO(data), len(data))

    def close(self) -> None:
        """Moves the events' sequence past the last id of a block."""
        if self.id_blocks and self.last_event_id is not None:
            self.cursor.execute("SELECT setval(%s, %s)", [self.event_sequence, self.last_event_id])


# Large loads ----------------------------------------------------------------------
#
# Loading a million rows through the indexes costs far more than building the indexes
# once afterwards (keys in random order touch a different page per row), and the
# deferred foreign-key checks of so many rows cost as much again at commit. The unique
# constraint on tracking codes stays: measured, loading through it costs no more than
# rebuilding it, and the codes stay checked all along.

# Indexes that nothing else depends on and that their CREATE INDEX statement rebuilds
# exactly: no primary key or constraint's index (nor one a foreign key of another table
# points at), no clustered or replica-identity index, none in a tablespace of its own
# (pg_get_indexdef leaves the tablespace out) or with a comment; only valid ones.
_PLAIN_INDEXES_SQL = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    WHERE i.indrelid = %s::regclass
      AND NOT i.indisprimary AND i.indisvalid AND i.indisready AND i.indislive
      AND NOT i.indisclustered AND NOT i.indisreplident
      AND ic.reltablespace = 0
      AND obj_description(i.indexrelid, 'pg_class') IS NULL
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY ic.relname
"""
_FOREIGN_KEYS_SQL = """
    SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype = 'f' AND convalidated
      AND obj_description(oid, 'pg_constraint') IS NULL
    ORDER BY conname
"""
# Why the indexes may have to stay: "cannot ALTER TABLE … because it has pending
# trigger events", "must be owner of index …".
OBJECT_IN_USE, NOT_OWNER = "55006", "42501"
# Room for the index builds to sort in memory, shared with their parallel workers.
LARGE_LOAD_WORK_MEM = "256MB"


@contextmanager
def _large_load(
    cursor, table_models: Sequence[type[models.Model]], *, on_progress: ProgressCallback | None
) -> Iterator[None]:
    """Sets the tables' secondary indexes and foreign-key checks aside around a load.

    Before: the tables' plain indexes are read from the catalog (``pg_index``) and
    dropped; primary keys, unique and check constraints stay. Foreign-key checks are
    skipped with ``session_replication_role = replica`` where the role may set it (a
    superuser); elsewhere the validated foreign keys (``pg_constraint``) are dropped
    too and added back afterwards, which checks every row in one join. After: the
    indexes are built again from the definitions read before (so indexes added by
    later migrations are handled too) and the tables are analysed, so the query planner
    knows their new size at once.

    All of it happens in the caller's transaction: a failure rolls the drops back with
    the rows, and the tables stay locked ``ACCESS EXCLUSIVE`` (reads included) until
    the transaction ends. Where the tables cannot be altered (rows this transaction
    wrote earlier still await deferred checks, or the role does not own them), the
    load goes through the indexes.
    """
    quote = connection.ops.quote_name
    tables = [quote(model._meta.db_table) for model in table_models]
    cursor.execute("SELECT current_setting('session_replication_role')")
    (replication_role,) = cursor.fetchone()
    checks_off = _foreign_key_checks_off(cursor)
    set_aside: list[tuple[str, str]] = []  # (drop, restore)
    foreign_keys: list[tuple[str, str]] = []
    for table in tables:
        cursor.execute(_PLAIN_INDEXES_SQL, [table])
        set_aside.extend(
            (f"DROP INDEX {name}", definition) for name, definition in cursor.fetchall()
        )
        if not checks_off:
            cursor.execute(_FOREIGN_KEYS_SQL, [table])
            foreign_keys.extend(
                (
                    f"ALTER TABLE {table} DROP CONSTRAINT {name}",
                    f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}",
                )
                for name, definition in cursor.fetchall()
            )
    # Foreign keys last: their check reads the rows once more, through the indexes.
    set_aside += foreign_keys
    try:
        with transaction.atomic():
            for drop, _ in set_aside:
                cursor.execute(drop)
    except DatabaseError as error:
        if getattr(error.__cause__, "pgcode", None) not in (OBJECT_IN_USE, NOT_OWNER):
            raise
        set_aside = []

    yield

    if checks_off:
        cursor.execute(
            "SELECT set_config('session_replication_role', %s, true)", [replication_role]
        )
    cursor.execute("SELECT current_setting('maintenance_work_mem')")
    (work_mem,) = cursor.fetchone()
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [LARGE_LOAD_WORK_MEM])
    if on_progress is not None:
        on_progress("indexes", 0, len(set_aside))
    for done, (_, restore) in enumerate(set_aside, start=1):
        cursor.execute(restore)
        if on_progress is not None:
            on_progress("indexes", done, len(set_aside))
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [work_mem])
    cursor.execute(f"ANALYZE {', '.join(tables)}")


def _foreign_key_checks_off(cursor) -> bool:
    """Turns foreign-key triggers off until the transaction ends, where allowed."""
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:  # only a superuser may; the foreign keys are rebuilt instead
        return False
    return True
