"""Demo deliveries and their histories, planned as rows to write.

They keep the assignment rules by construction: an ``assigned``/``in_transit`` delivery
only goes to an available vehicle with room left for it (each vehicle's load is read
first and tracked as rows are added), driven by an active driver; a pending one has
neither. Every delivery gets the events a real one would have had, oldest first, from
its creation to its status, and goes to one of a fixed base of demo customers. Its
``created_at`` is its first event's time, its ``updated_at`` its last one's.
"""

import datetime as dt
import functools
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, TypeVar

from deliveries.models import TRACKING_ALPHABET, TRACKING_CODE_LENGTH, generate_tracking_code
from deliveries.models import DeliveryStatus as S
from demo.common import demo_random
from demo.fleet import Slot
from demo.vocabulary import (
    CANCEL_REASONS,
    CITIES,
    DELIVERY_NOTES,
    DEPOTS,
    EMAIL_DOMAINS,
    FAILURE_REASONS,
    FIRST_NAMES,
    LAST_NAMES,
    POSTCODE_LETTERS,
    STREETS,
)

# The creation event of every demo delivery carries this note; it is how a later run
# knows how many demo deliveries exist already.
DEMO_CREATION_NOTE = "Created (demo data)"

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
# (share up to, lightest, heaviest) in hundredths of a kilogram: letters and small
# parcels, parcels, bulky goods, pallets.
WEIGHT_CLASSES = ((0.40, 10, 200), (0.87, 200, 3_000), (0.98, 3_000, 15_000), (1.0, 15_000, 60_000))
# Demo deliveries go to a customer base of 2**RECIPIENT_BITS recipients.
RECIPIENT_BITS = 14

T = TypeVar("T")

HOUR = 3600
DAY = 24 * HOUR
ACTIVE = (S.ASSIGNED, S.IN_TRANSIT)
DEPARTED = (S.IN_TRANSIT, S.DELIVERED, S.FAILED)


def _weight_table(weights: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """One entry per unit of weight: a uniform pick from it follows the weights."""
    return tuple(str(option) for option, n in weights for _ in range(n))


CURRENT_STATUSES = _weight_table(CURRENT_STATUS_WEIGHTS)
PAST_STATUSES = _weight_table(PAST_STATUS_WEIGHTS)


@dataclass
class Batch:
    """Planned deliveries and their events, as rows of field values by attribute name.

    An event's ``delivery_id`` is its delivery's ``id`` in the same batch.
    """

    deliveries: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


class Move(NamedTuple):
    """One status change of a planned delivery; ``at`` in seconds since the epoch."""

    from_status: str
    to_status: str
    at: float
    actor_id: int | None
    note: str = ""


def _ascii(name: str) -> str:
    """``name`` without accents or spaces (Zoë de Jong: zoe, dejong): the API accepts
    only ASCII e-mail addresses, and demo data is what the API could have stored."""
    decomposed = unicodedata.normalize("NFKD", name)
    return decomposed.encode("ascii", "ignore").decode().replace(" ", "")


@functools.cache
def recipients() -> tuple[tuple[str, str, str, str], ...]:
    """The demo customers: address, name, phone and e-mail of each."""
    rng = demo_random("recipients")
    customers = []
    for _ in range(2**RECIPIENT_BITS):
        first_name, last_name = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
        postcode = f"{rng.randrange(1000, 10_000)} {letters}"
        address = f"{rng.choice(STREETS)} {rng.randrange(1, 251)}, {postcode} {rng.choice(CITIES)}"
        phone = f"+316{rng.randrange(10**8):08d}" if rng.random() < 0.9 else ""
        email = ""
        if rng.random() < 0.7:
            email = f"{_ascii(first_name)}.{_ascii(last_name)}@{rng.choice(EMAIL_DOMAINS)}".lower()
        customers.append((address, f"{first_name} {last_name}", phone, email))
    return tuple(customers)


@functools.cache
def _weights() -> tuple[Decimal, ...]:
    """Every weight in kilograms, by hundredths of a kilogram."""
    return tuple(Decimal(cents).scaleb(-2) for cents in range(WEIGHT_CLASSES[-1][2] + 1))


_CODE_PREFIX = generate_tracking_code()[:-TRACKING_CODE_LENGTH]
# Random bytes map onto the alphabet; those past its last whole multiple are dropped,
# so that every character is equally likely.
_CODE_CHARS = bytes(ord(TRACKING_ALPHABET[byte % len(TRACKING_ALPHABET)]) for byte in range(256))
_CODE_REJECTED = bytes(range(256 - 256 % len(TRACKING_ALPHABET), 256))


def tracking_codes(count: int) -> list[str]:
    """``count`` codes like ``generate_tracking_code``'s (same prefix, alphabet, length
    and source of randomness), drawn with one ``os.urandom`` call rather than one per
    character, which would dominate a large run."""
    needed = count * TRACKING_CODE_LENGTH
    chars = b""
    while len(chars) < needed:
        chars += os.urandom(needed).translate(_CODE_CHARS, _CODE_REJECTED)
    text = chars.decode()
    size = TRACKING_CODE_LENGTH
    return [_CODE_PREFIX + text[start : start + size] for start in range(0, needed, size)]


@functools.cache
def _date(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


_TIMES_OF_DAY = tuple(f" {s // HOUR:02}:{s // 60 % 60:02}:{s % 60:02}+00:00" for s in range(DAY))


def _moment(seconds: float) -> str:
    """The time as PostgreSQL and Django read it, to the second. Text, made once per
    time from a table of days and one of times of day: ``str(datetime)`` costs several
    times more, and a large load has millions of times to write."""
    day, second = divmod(int(seconds), DAY)
    return _date(day) + _TIMES_OF_DAY[second]


class DeliveryPlanner:
    """Plans demo deliveries in order, tracking each vehicle's load.

    ``plan`` touches no database, only the fleet it was given: it may run on a thread of
    its own, one batch ahead of the writes, as long as batches are planned in order.
    """

    def __init__(
        self, *, fleet: list[Slot], dispatcher_id: int, now: dt.datetime, first_index: int
    ) -> None:
        self.vehicles = fleet
        self.available = [slot for slot in fleet if slot.available]
        self.dispatcher_id = dispatcher_id
        self.now = now.timestamp()
        self.rng = demo_random(f"deliveries:{first_index}")
        self.random = self.rng.random
        self.recipients = recipients()
        self.weights = _weights()

    def _pick(self, options: Sequence[T]) -> T:
        """One of ``options``; as ``rng.choice``, at a fraction of its cost."""
        return options[int(self.random() * len(options))]

    def plan(self, start: int, stop: int, ids: Sequence[int]) -> Batch:
        """Deliveries ``start..stop-1`` of the demo sequence and all their events;
        ``ids[i]`` is the id of delivery ``start + i``."""
        batch = Batch()
        codes = tracking_codes(stop - start)
        for index, pk, code in zip(range(start, stop), ids, codes, strict=True):
            delivery, events = self._plan_one(index, pk)
            delivery["tracking_code"] = code
            batch.deliveries.append(delivery)
            batch.events += events
        return batch

    @staticmethod
    def _events(delivery_id: int, moves: list[Move]) -> list[dict]:
        return [
            {
                "delivery_id": delivery_id,
                "from_status": move.from_status,
                "to_status": move.to_status,
                "at": (at := _moment(move.at)),
                "actor_id": move.actor_id,
                "note": move.note,
                # Demo history is old news: its e-mails count as sent.
                "notified_at": at,
            }
            for move in moves
        ]

    def _plan_one(self, index: int, pk: int) -> tuple[dict, list[dict]]:
        """Delivery ``index`` of the demo sequence (but its tracking code) and its events."""
        rng = self.rng
        status, current = self._draw_status(index)
        weight = self._draw_weight(light=index < len(FIRST_STATUSES))
        scheduled, created = self._draw_schedule(status, current)
        slot, status = self._pick_vehicle(status, weight)
        moves = self._history(status, current, slot, scheduled=scheduled, created=created)
        events = self._events(pk, moves)
        customer = self.recipients[rng.getrandbits(RECIPIENT_BITS)]
        if rng.random() < 0.85:
            origin = self._pick(DEPOTS)
        else:  # picked up from another customer
            origin = self.recipients[rng.getrandbits(RECIPIENT_BITS)][0]
        last = events[-1]["at"]
        return {
            "id": pk,
            "tracking_code": "",
            "status": status,
            "origin_address": origin,
            "destination_address": customer[0],
            "recipient_name": customer[1],
            "recipient_phone": customer[2],
            "recipient_email": customer[3],
            "weight_kg": self.weights[weight],
            "scheduled_for": _moment(scheduled),
            "notes": self._pick(DELIVERY_NOTES) if rng.random() < 0.15 else "",
            "failure_reason": moves[-1].note if status == S.FAILED else "",
            "vehicle_id": slot.pk if slot else None,
            "driver_id": slot.driver_id if slot else None,
            "created_at": events[0]["at"],
            "updated_at": last,
            "delivered_at": last if status == S.DELIVERED else None,
        }, events

    def _draw_status(self, index: int) -> tuple[str, bool]:
        """The status it is meant to have, and whether it is scheduled around now."""
        if index < len(FIRST_STATUSES):
            status = FIRST_STATUSES[index]
            return status, status in (S.PENDING, *ACTIVE)
        if self.rng.random() < CURRENT_SHARE:
            return self._pick(CURRENT_STATUSES), True
        return self._pick(PAST_STATUSES), False

    def _draw_weight(self, *, light: bool) -> int:
        """A weight in hundredths of a kilogram."""
        share = 0.0 if light else self.rng.random()
        lightest, heaviest = next(
            (low, high) for up_to, low, high in WEIGHT_CLASSES if share < up_to
        )
        return lightest + int(self.random() * (heaviest - lightest))

    def _draw_schedule(self, status: str, current: bool) -> tuple[float, float]:
        """When it is due and when it was ordered, in seconds since the epoch."""
        rng, now = self.rng, self.now
        if status == S.IN_TRANSIT or (current and status == S.DELIVERED):
            scheduled = now - rng.uniform(0.5 * HOUR, 8 * HOUR)
        else:
            if current:  # from yesterday to three weeks ahead
                day = now + rng.uniform(-DAY, 21 * DAY)
            else:  # from 2 to 730 days ago
                day = now - rng.uniform(2 * DAY, 730 * DAY)
            scheduled = day - day % DAY + rng.uniform(7 * HOUR, 19 * HOUR)
        ordered = scheduled - rng.uniform(0.25 * DAY, 10 * DAY)
        return scheduled, min(ordered, now - rng.uniform(300, DAY - 300))

    def _pick_vehicle(self, status: str, weight: int) -> tuple[Slot | None, str]:
        """The vehicle that carries (or carried) it, and the status it ends up with."""
        rng = self.rng
        if status in ACTIVE:
            # An available vehicle with room for it; its load grows by it.
            for _ in range(8 if self.available else 0):
                slot = self._pick(self.available)
                if slot.load + weight <= slot.capacity:
                    slot.load += weight
                    return slot, status
            return None, S.PENDING  # no room anywhere: it waits for a vehicle
        if status in (S.DELIVERED, S.FAILED) or (status == S.CANCELLED and rng.random() < 0.4):
            if not self.vehicles:  # no fleet: it never left
                return None, S.CANCELLED
            # Any demo vehicle, preferably one big enough: this trip is over.
            slot = self._pick(self.vehicles)
            for _ in range(4):
                if slot.capacity >= weight:
                    break
                slot = self._pick(self.vehicles)
            return slot, status
        return None, status

    def _history(
        self, status: str, current: bool, slot: Slot | None, *, scheduled: float, created: float
    ) -> list[Move]:
        """The moves from its creation to ``status``, oldest first, whole seconds apart."""
        rng, now, dispatcher = self.rng, self.now, self.dispatcher_id
        horizon = min(scheduled, now)  # the latest it is assigned or cancelled
        moves = [Move("", S.PENDING, created, dispatcher, DEMO_CREATION_NOTE)]
        if slot is not None:
            at = moves[-1].at + (horizon - created) * rng.uniform(0.2, 0.8)
            with_driver = f" with {slot.driver_username}" if slot.driver_id else ""
            note = f"Assigned to {slot.plate}{with_driver}"
            moves.append(Move(S.PENDING, S.ASSIGNED, at, dispatcher, note))
        if status == S.CANCELLED:
            at = moves[-1].at + (horizon - moves[-1].at) * rng.uniform(0.1, 0.9)
            note = self._pick(CANCEL_REASONS)
            moves.append(Move(moves[-1].to_status, S.CANCELLED, at, dispatcher, note))
        if status not in DEPARTED or slot is None:
            return moves
        mover = slot.driver_id or dispatcher
        if current:
            left = scheduled + (now - scheduled) * rng.uniform(0, 0.6)
        else:  # a few hours before it is due
            left = max(moves[-1].at + 60, scheduled - rng.uniform(1 * HOUR, 4 * HOUR))
        moves.append(Move(S.ASSIGNED, S.IN_TRANSIT, left, mover))
        if status == S.IN_TRANSIT:
            return moves
        if current:
            arrived = left + (now - left) * rng.uniform(0.2, 0.95)
        else:  # most arrive by the time they are due, some up to an hour late
            arrived = max(left + 600, scheduled + rng.uniform(-0.9 * HOUR, 0.4 * HOUR))
        note = self._pick(FAILURE_REASONS) if status == S.FAILED else ""
        moves.append(Move(S.IN_TRANSIT, status, arrived, mover, note))
        return moves
