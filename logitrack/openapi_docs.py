"""What Swagger UI and ReDoc show of each operation: a summary (its one-line name in the
operation list), a description written for the API's users, and the tags in the order a
newcomer reads them, each with a sentence.

A postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) fills in a
summary an operation's ``@extend_schema`` does not give (views that name their own keep
theirs) and replaces the descriptions listed in ``DESCRIPTIONS``, whose text in the views
speaks of how they are built rather than what they do. A new operation names its summary
in its ``@extend_schema`` or here; ``logitrack/tests/test_openapi_docs.py`` fails while
one has none.
"""

from typing import Any

SUMMARIES = {
    "auth_token_create": "Sign in: get an access token and a refresh token",
    "auth_token_refresh_create": "Get new tokens with a refresh token",
    "auth_logout_create": "Sign out: revoke a refresh token",
    "auth_me_retrieve": "The signed-in user",
    "deliveries_list": "List deliveries",
    "deliveries_create": "Create a delivery",
    "deliveries_retrieve": "Get a delivery",
    "deliveries_update": "Replace a delivery",
    "deliveries_partial_update": "Change some fields of a delivery",
    "deliveries_destroy": "Delete a delivery",
    "track_retrieve": "Track a delivery by its code (no sign-in)",
    "stats_retrieve": "Deliveries and vehicles by status, and the on-time rate",
    "users_list": "List users",
    "users_create": "Create a user",
    "users_retrieve": "Get a user",
    "users_update": "Replace a user",
    "users_partial_update": "Change some fields of a user",
    "users_destroy": "Delete a user",
    "vehicles_list": "List vehicles",
    "vehicles_create": "Add a vehicle",
    "vehicles_retrieve": "Get a vehicle",
    "vehicles_update": "Replace a vehicle",
    "vehicles_partial_update": "Change some fields of a vehicle",
    "vehicles_destroy": "Delete a vehicle",
    "webhooks_list": "List webhook endpoints",
    "webhooks_retrieve": "Get a webhook endpoint",
    "webhooks_update": "Replace a webhook endpoint",
    "webhooks_partial_update": "Change some fields of a webhook endpoint",
    "webhooks_destroy": "Delete a webhook endpoint",
}

_REPORTS = "CSV exports, built in the background. Staff only; each user sees only their own."
DESCRIPTIONS = {
    "deliveries_list": (
        "Deliveries, a page at a time: staff see all of them, a driver only their own. "
        "Filter by `status` (repeatable), `vehicle`, `driver`, `scheduled_after` and "
        "`scheduled_before`; `search` looks in tracking codes, recipients and addresses."
    ),
    "reports_list": _REPORTS,
    "reports_create": _REPORTS,
    "reports_retrieve": _REPORTS,
    "webhooks_ping_create": (
        "The ping is sent in the background after this answer, like every message; its "
        "attempts show in `attempts/`. `409 webhook_endpoint_inactive` while the endpoint "
        "is disabled."
    ),
}

TAGS = [
    {"name": "auth", "description": "Sign in for a token, refresh it, sign out."},
    {"name": "vehicles", "description": "The fleet and its maintenance."},
    {
        "name": "deliveries",
        "description": "Deliveries, their assignment to a vehicle and a driver, and their moves.",
    },
    {"name": "track", "description": "Public tracking by code, for customers."},
    {"name": "locations", "description": "Where the drivers are: positions their phones send."},
    {"name": "reports", "description": "CSV exports of deliveries."},
    {"name": "stats", "description": "Counts for a dashboard."},
    {"name": "users", "description": "Dispatchers, drivers and admins."},
    {"name": "webhooks", "description": "Signed events sent to your endpoints."},
    {"name": "api-keys", "description": "Keys for servers that call the API without a user."},
]


def _operations(result: dict[str, Any]):
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if isinstance(operation, dict) and method != "parameters":
                yield operation


def postprocess_summaries(result: dict[str, Any], generator, request, public) -> dict:
    """Summaries, user-facing descriptions and tag descriptions (see the module)."""
    used = set()
    for operation in _operations(result):
        operation_id = operation.get("operationId")
        if not operation.get("summary") and operation_id in SUMMARIES:
            operation["summary"] = SUMMARIES[operation_id]
        if operation_id in DESCRIPTIONS:
            operation["description"] = DESCRIPTIONS[operation_id]
        used.update(operation.get("tags", []))
    known = [tag for tag in TAGS if tag["name"] in used]
    named = {tag["name"] for tag in known}
    result["tags"] = known + [{"name": name} for name in sorted(used - named)]
    return result
