"""Many items, each through the same service as the single call, one result each.

Each item runs in a transaction of its own. With ``atomic`` they all run in one
transaction, each in a savepoint (so a refused item leaves the others usable), and if
any item is refused the whole transaction is rolled back: nothing is written.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class ItemResult:
    index: int
    status: int
    body: Any = None  # what the single call answers: the object, or the error entries

    @property
    def succeeded(self) -> bool:
        return self.status < 400


def bulk_run(
    *,
    items: Sequence[Any],
    atomic: bool,
    run: Callable[[Any], tuple[int, Any]],
    refusal: Callable[[Exception], tuple[int, Any] | None],
) -> list[ItemResult]:
    """``run(item)`` for each item: its status and body. ``refusal(exc)`` turns an
    exception ``run`` raised into the status and error entries the single call would
    answer, or ``None`` for one that is not a refusal (it propagates: a server error)."""

    def one(index: int, item: Any) -> ItemResult:
        try:
            with transaction.atomic():
                status, body = run(item)
        except Exception as exc:
            refused = refusal(exc)
            if refused is None:
                raise
            status, body = refused
        return ItemResult(index, status, body)

    if not atomic:
        return [one(index, item) for index, item in enumerate(items)]
    with transaction.atomic():
        results = [one(index, item) for index, item in enumerate(items)]
        if not all(result.succeeded for result in results):
            transaction.set_rollback(True)
    return results
