"""Schemathesis hooks of ``make fuzz`` (``logitrack.fuzz`` names this file in the
configuration it writes; only Schemathesis loads it).

- The signed-in user is not changed or deleted by its own run: a new password, a
  deactivation or a deletion would answer every later request with ``401`` and leave
  the rest of the API untested. ``FUZZ_OWN_USER_ID`` names that user.
"""

import os

import schemathesis

ACCOUNT_PATH = "/api/v1/users/{id}/"
ACCOUNT_WRITES = frozenset({"PUT", "PATCH", "DELETE"})


def _own_user_id() -> str:
    return os.environ.get("FUZZ_OWN_USER_ID", "")


@schemathesis.hook
def filter_case(context, case) -> bool:
    operation = case.operation
    if operation.path != ACCOUNT_PATH or operation.method.upper() not in ACCOUNT_WRITES:
        return True
    return str((case.path_parameters or {}).get("id")) != _own_user_id()
