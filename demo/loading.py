"""Writing planned demo deliveries: ``bulk_create`` on any database, ``COPY`` for a large
load on PostgreSQL.

Batches are planned on a thread of their own, one ahead of the writes: a ``COPY`` and
the wait for the server release the GIL, so the planner works meanwhile.
"""

import csv
import gc
import io
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from operator import itemgetter
from typing import Any, NamedTuple, Protocol, TypeVar

from django.db import connection, models
from django.db.models import OuterRef, Subquery

from deliveries.models import Delivery, DeliveryEvent
from demo.common import ProgressCallback
from demo.deliveries import Batch, DeliveryPlanner
from demo.large_load import large_load

DELIVERY_BATCH_SIZE = 10_000
# Rows per INSERT statement of ``bulk_create``.
INSERT_BATCH_SIZE = 1_000


T = TypeVar("T")
R = TypeVar("R")


class Written(NamedTuple):
    deliveries: int
    events: int


class Writer(Protocol):
    def ids(self, start: int, stop: int) -> Sequence[int]: ...

    def prepare(self, batch: Batch) -> Any: ...

    def write(self, prepared: Any) -> Written: ...


class BulkWriter:
    """Writes planned batches with ``bulk_create``; works on every database.

    Ids are the database's: the planner is given each delivery's position in its batch
    instead, which the events' ``delivery_id`` is mapped back from.
    """

    @staticmethod
    def ids(start: int, stop: int) -> Sequence[int]:
        return range(stop - start)

    @staticmethod
    def prepare(batch: Batch) -> Batch:
        return batch

    @staticmethod
    def write(prepared: Batch) -> Written:
        deliveries = [Delivery(**{**row, "id": None}) for row in prepared.deliveries]
        Delivery.objects.bulk_create(deliveries, batch_size=INSERT_BATCH_SIZE)
        events = [
            DeliveryEvent(**{**row, "delivery_id": deliveries[row["delivery_id"]].pk})
            for row in prepared.events
        ]
        DeliveryEvent.objects.bulk_create(events, batch_size=INSERT_BATCH_SIZE)
        # ``auto_now_add``/``auto_now`` stamped the rows with the time of the write; the
        # demo history needs the times of its first and last events.
        history = DeliveryEvent.objects.filter(delivery=OuterRef("pk"))
        Delivery.objects.filter(pk__in=[delivery.pk for delivery in deliveries]).update(
            created_at=Subquery(history.order_by("at", "id").values("at")[:1]),
            updated_at=Subquery(history.order_by("-at", "-id").values("at")[:1]),
        )
        return Written(len(deliveries), len(events))


class CopyBatch(NamedTuple):
    deliveries: tuple[str, bytes]  # (COPY statement, CSV)
    events: tuple[str, bytes]
    written: Written


def _copy(model: type[models.Model], rows: list[dict]) -> tuple[str, bytes]:
    """The ``COPY … FROM STDIN`` statement and CSV data for ``rows``. Empty unquoted
    values stand for NULL, so columns that cannot be NULL take them as empty text."""
    columns = tuple(rows[0])
    by_name = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_name[name] for name in columns]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    not_null = ", ".join(quote(field.column) for field in fields if not field.null)
    sql = (
        f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"  # noqa: S608 - names from the model
        f" WITH (FORMAT csv, FORCE_NOT_NULL ({not_null}))"
    )
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(map(itemgetter(*columns), rows))
    return sql, buffer.getvalue().encode()


class CopyWriter:
    """Writes planned batches with PostgreSQL's ``COPY … FROM STDIN (FORMAT csv)``.

    The deliveries' ids are taken from their sequence in one block for the whole load,
    so that events can name their delivery; only while the delivery table is locked
    ``ACCESS EXCLUSIVE``, so that no other insert draws from the sequence meanwhile.
    """

    def __init__(self, cursor, *, first: int, count: int) -> None:
        self.cursor = cursor
        meta = Delivery._meta
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%(table)s, %(column)s),"
            " nextval(pg_get_serial_sequence(%(table)s, %(column)s)) + %(count)s - 1)",
            {"table": meta.db_table, "column": meta.pk.column, "count": count},
        )
        # Delivery ``first`` of the demo sequence gets the first id of the block.
        self.offset = cursor.fetchone()[0] - count + 1 - first

    def ids(self, start: int, stop: int) -> Sequence[int]:
        return range(self.offset + start, self.offset + stop)

    @staticmethod
    def prepare(batch: Batch) -> CopyBatch:
        return CopyBatch(
            deliveries=_copy(Delivery, batch.deliveries),
            events=_copy(DeliveryEvent, batch.events),
            written=Written(len(batch.deliveries), len(batch.events)),
        )

    def write(self, prepared: CopyBatch) -> Written:
        for sql, data in (prepared.deliveries, prepared.events):
            # In one read: psycopg2 then sends it all without taking the GIL back.
            self.cursor.copy_expert(sql, io.BytesIO(data), len(data))
        return prepared.written


def _ahead(work: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """``work(item)`` for each item in turn, the next one worked on by a thread of its
    own while the caller handles the last."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-planner") as executor:
        futures = [executor.submit(work, items[0])] if items else []
        for item in items[1:]:
            futures.append(executor.submit(work, item))
            yield futures.pop(0).result()
        if futures:
            yield futures.pop().result()


@contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Keeps the garbage collector's full passes off the objects made before the load.

    A load makes millions of short-lived rows, so the collector runs often, and each full
    pass would walk every object the process holds (in a management command, all of
    Django's URL patterns, serializers and schema too). Measured on a million
    deliveries: 49 s instead of 81 s.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def write_deliveries(
    planner: DeliveryPlanner,
    *,
    first: int,
    count: int,
    large: bool,
    on_progress: ProgressCallback | None,
) -> Written:
    """Writes demo deliveries ``first..first+count-1`` and their events; a ``large`` load
    (PostgreSQL only, its tables locked) through ``COPY``, see ``demo.large_load``."""
    stop = first + count
    bounds = [
        (start, min(start + DELIVERY_BATCH_SIZE, stop))
        for start in range(first, stop, DELIVERY_BATCH_SIZE)
    ]
    deliveries = events = 0
    with connection.cursor() as cursor:
        writer: Writer = CopyWriter(cursor, first=first, count=count) if large else BulkWriter()

        def plan(bound: tuple[int, int]) -> Any:
            return writer.prepare(planner.plan(*bound, writer.ids(*bound)))

        with (
            _older_objects_frozen(),
            large_load(cursor, on_progress=on_progress) if large else nullcontext(),
        ):
            for prepared in _ahead(plan, bounds):
                written = writer.write(prepared)
                deliveries += written.deliveries
                events += written.events
                if on_progress is not None:
                    on_progress("deliveries", deliveries, count)
    return Written(deliveries, events)
