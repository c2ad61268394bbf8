"""What every writing service shares: re-reading a row under its lock, and saving only
the fields a change touched.

Lock order, kept by every service that takes more than one row lock: a delivery first,
then a vehicle, then a user (the driver). Two rows of one table are locked in
primary-key order.
"""

from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import IntegrityError, models

from services.exceptions import DATABASE_RULES

M = TypeVar("M", bound=models.Model)


def lock(instance: M) -> M:
    """``instance``'s row re-read under ``SELECT … FOR UPDATE``: the fresh row, held until
    the transaction ends. Must run inside ``transaction.atomic``."""
    return type(instance)._default_manager.select_for_update().get(pk=instance.pk)


def _values(instance: models.Model) -> dict[str, Any]:
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def model_update(
    *, instance: M, fields: Iterable[str], data: Mapping[str, Any], clean: bool = True
) -> list[str]:
    """Sets those of ``fields`` that ``data`` carries, validates the row (``full_clean``)
    and saves only the columns that changed, normalisation and derived columns included
    (an upper-cased plate, the staff flags a role implies), plus any ``auto_now`` time.

    ``instance`` should be fresh from ``lock``. Returns the names of the changed fields
    (empty: nothing was written)."""
    before = _values(instance)
    for name in fields:
        if name in data:
            setattr(instance, name, data[name])
    if clean:
        instance.full_clean()
    if hasattr(instance, "sync_flags_with_role"):
        instance.sync_flags_with_role()
    changed = [name for name, value in _values(instance).items() if before[name] != value]
    if changed:
        touched = [
            field.attname
            for field in instance._meta.concrete_fields
            if getattr(field, "auto_now", False)
        ]
        instance.save(update_fields=[*changed, *touched])
    return changed


def refused_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint the database refused a write with, if it says."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


@contextmanager
def database_rules(*, attr: str | None = None, **params: Any):
    """A write the database refuses by one of the rules it shares with the services
    (constraint triggers named after the error code, see ``DATABASE_RULES``) is reported
    as that rule's domain error (``params`` fill its message), so a client sees the same
    code whichever line caught it."""
    try:
        yield
    except IntegrityError as exc:
        error = DATABASE_RULES.get(refused_constraint(exc) or "")
        if error is None:
            raise
        raise error(attr=attr, **params) from exc


def only(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The items of ``data`` named in ``names``."""
    return {name: data[name] for name in names if name in data}
