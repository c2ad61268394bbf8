"""Schemathesis hooks of ``make fuzz`` (``logitrack.fuzz`` names this file in the
configuration it writes; only Schemathesis loads it).

- The signed-in user is not changed or deleted by its own run: a new password, a
  deactivation or a deletion would answer every later request with ``401`` and leave
  the rest of the API untested. ``FUZZ_OWN_USER_ID`` names that user.
- ``KNOWN``: behaviour the fuzzer finds that is being fixed in the code it belongs to.
  A failure that matches an entry is dropped, and the run reports how many were
  ("Filtered: N (dropped by `filter_failure`)"); an entry goes once its fix lands.
"""

import datetime as dt
import os
import re
from collections.abc import Callable
from typing import NamedTuple

import schemathesis

ACCOUNT_PATH = "/api/v1/users/{id}/"
ACCOUNT_WRITES = frozenset({"PUT", "PATCH", "DELETE"})


class Known(NamedTuple):
    operation: str  # regular expression on "METHOD /path"
    code: str  # Schemathesis's failure code: ST201 is an invalid request accepted
    message: str  # regular expression searched in the failure's message
    why: str
    applies: Callable | None = None  # a further test on the request (the Case)


def _empty_filter(case) -> bool:
    return any(value in ("", [""]) for key, value in (case.query or {}).items() if key in FILTERS)


FILTERS = frozenset({"status", "vehicle_type", "role"})
TIME_FILTERS = frozenset({"scheduled_after", "scheduled_before"})
POSTGRES_MAX_OFFSET = dt.timedelta(hours=15, minutes=59)


def _offset_postgres_refuses(case) -> bool:
    for key, value in (case.query or {}).items():
        if key not in TIME_FILTERS:
            continue
        for text in value if isinstance(value, list) else [value]:
            try:
                offset = dt.datetime.fromisoformat(str(text)).utcoffset()
            except ValueError:
                continue
            if offset is not None and abs(offset) > POSTGRES_MAX_OFFSET:
                return True
    return False


_LISTS = r"GET /api/v1/(users|vehicles|reports|deliveries)/"

KNOWN = (
    Known(
        _LISTS,
        "ST201",
        r"parameter `page(_size)?` in query",
        "A page size or page number that is not a whole number (text, null, a list, a "
        "negative number) is ignored: the default page comes back (logitrack/pagination.py).",
    ),
    Known(
        r"GET /api/v1/users/",
        "ST201",
        r"parameter `is_active` in query",
        "?is_active= with a value that is not a boolean (a number) filters nothing "
        "instead of answering 400 (django-filter's BooleanFilter).",
    ),
    Known(
        _LISTS,
        "ST201",
        r"parameters? `(status|vehicle_type|role)`[^\n]*in query",
        "An empty filter value (?vehicle_type=, ?status=, ?role=) filters nothing instead "
        "of answering 400 (django-filter's ChoiceFilter).",
        _empty_filter,
    ),
    Known(
        r"(POST|PUT|PATCH) /api/v1/.*",
        "ST201",
        r"in body - (\w+: Incorrect type|violates `type` at /properties/\w+ )",
        "A JSON value of another type is converted instead of refused with 400: a number "
        'where text is expected ({"reason": 0}), "true" or 1 for a boolean, "12" for '
        "a number (DRF's fields).",
    ),
    Known(
        r"GET /api/v1/deliveries/",
        "ST101",
        r"",
        "?scheduled_after= / ?scheduled_before= with a UTC offset beyond PostgreSQL's "
        '±15:59 (2026-11-30T00:00:00+17:00) answers 500: the query fails with "time zone '
        'displacement out of range" (deliveries/filters.py).',
        _offset_postgres_refuses,
    ),
    Known(
        r"GET /api/v1/.*",
        "ST103",
        r"Received: 414",
        "A request line over 4,094 bytes (a long ?search= or many filters) is refused by "
        "Gunicorn itself with an HTML 414 page, undocumented and not the API's JSON error.",
    ),
)


def _own_user_id() -> str:
    return os.environ.get("FUZZ_OWN_USER_ID", "")


@schemathesis.hook
def filter_case(context, case) -> bool:
    operation = case.operation
    if operation.path != ACCOUNT_PATH or operation.method.upper() not in ACCOUNT_WRITES:
        return True
    return str((case.path_parameters or {}).get("id")) != _own_user_id()


def known(case, code: str, message: str) -> Known | None:
    """The entry of ``KNOWN`` that a failure of ``case`` matches, if any."""
    for entry in KNOWN:
        if (
            entry.code == code
            and re.fullmatch(entry.operation, case.operation.label)
            and re.search(entry.message, message)
            and (entry.applies is None or entry.applies(case))
        ):
            return entry
    return None


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    entry = known(case, failure.code, failure.message or "")
    if entry is None:
        return True
    log = os.environ.get("FUZZ_KNOWN_LOG")
    if log:  # for make fuzz's summary: which known failures this run met
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{KNOWN.index(entry)}\t{case.operation.label}\n")
    return False
