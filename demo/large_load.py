"""A large demo load on PostgreSQL sets the secondary indexes and unique constraints of
the delivery and event tables, and their foreign keys, aside while it writes.

Measured here with a million deliveries (3.7 million events): the whole seed took 77 s
loading through the events' indexes and 58 s with them set aside too; loading through
the deliveries' indexes and checking each row's foreign keys one by one (two queries
per delivery, two per event) costs more than the whole load. Deliveries come in
random order of time and tracking code, so each row touches another page of each of
their indexes; the events' indexes outgrow the buffer cache. Building an index once
afterwards sorts its keys; adding a constraint back checks every row at once. The
primary keys, the check constraints and the constraint triggers stay in place: every
row is checked before the load commits, as it is written or as the constraints come
back.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from deliveries.models import Delivery, DeliveryEvent
from demo.common import ProgressCallback

TABLES = (Delivery._meta.db_table, DeliveryEvent._meta.db_table)

# Indexes that nothing else depends on and that their CREATE INDEX statement rebuilds
# exactly: no primary key or constraint's index, no clustered or replica-identity index,
# none in a tablespace of its own (pg_get_indexdef leaves it out); only valid ones.
_PLAIN_INDEXES_SQL = """
    SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    WHERE i.indrelid = %s::regclass
      AND NOT i.indisprimary AND i.indisvalid AND i.indisready AND i.indislive
      AND NOT i.indisclustered AND NOT i.indisreplident AND ic.reltablespace = 0
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY ic.relname
"""
_CONSTRAINTS_SQL = """
    SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
           format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s',
                  conrelid::regclass, conname, pg_get_constraintdef(oid))
    FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype IN ('u', 'f') AND convalidated
    ORDER BY contype DESC, conname
"""
# Room for the index builds to sort in memory.
LARGE_LOAD_WORK_MEM = "256MB"


def lock_tables() -> None:
    """Locks the delivery and event tables ``ACCESS EXCLUSIVE`` (reads included) until
    the transaction ends."""
    tables = ", ".join(connection.ops.quote_name(table) for table in TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")


@contextmanager
def large_load(cursor, *, on_progress: ProgressCallback | None) -> Iterator[None]:
    """Drops the tables' plain indexes, unique constraints and foreign keys (their
    definitions read from the catalog, so whatever later migrations add is handled
    too), lets the caller load, then adds them back and analyses the tables, so that
    the query planner knows their new size at once.

    All of it in the caller's transaction, with the tables locked (``lock_tables``): a
    failure rolls the drops back with the rows. Deferrable constraints are checked at
    once from then on until that transaction ends.
    """
    # Demo rows can be made again: the commit need not wait for the WAL flush.
    cursor.execute("SET LOCAL synchronous_commit TO OFF")
    # Checks deferred so far (rows written earlier in the transaction) run now: a table
    # with pending checks cannot be altered.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    indexes, constraints = [], []
    for table in TABLES:
        cursor.execute(_PLAIN_INDEXES_SQL, [table])
        indexes += cursor.fetchall()
        cursor.execute(_CONSTRAINTS_SQL, [table])
        constraints += cursor.fetchall()
    # Constraints last on the way back: the foreign keys' check reads through the indexes.
    set_aside = indexes + constraints
    for drop, _ in set_aside:
        cursor.execute(drop)

    yield

    cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [LARGE_LOAD_WORK_MEM])
    for done, (_, restore) in enumerate(set_aside, start=1):
        cursor.execute(restore)
        if on_progress is not None:
            on_progress("indexes", done, len(set_aside))
    cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in TABLES)}")
