from rest_framework.permissions import BasePermission

from logitrack.permissions import is_staff_user

# What a driver may do with a delivery of their own.
DRIVER_ACTIONS = frozenset(
    {
        "list",
        "retrieve",
        "events",
        "start",
        "complete",
        "fail",
        "proofs",
        "proof_add",
        "proof_file",
        "eta",
    }
)


class DeliveryAccess(BasePermission):
    """Staff may do everything. A driver lists, and reaches only their own deliveries
    (the queryset hides the rest, so others answer 404) and, on those, only
    ``DRIVER_ACTIONS``; anything else (creating, bulk calls, other moves) answers 403."""

    message = "Only dispatchers and admins may do this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return view.detail or view.action == "list" or is_staff_user(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        return view.action in DRIVER_ACTIONS or is_staff_user(request.user)
