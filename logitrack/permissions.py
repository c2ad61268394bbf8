from rest_framework.permissions import BasePermission

from users.models import STAFF_ROLES, Role


def is_staff_user(user) -> bool:
    """Admin or dispatcher ("staff" in the API contract)."""
    return bool(user and user.is_authenticated and user.is_active and user.role in STAFF_ROLES)


class IsStaff(BasePermission):
    message = "Only dispatchers and admins may do this."

    def has_permission(self, request, view) -> bool:
        return is_staff_user(request.user)


def is_admin_user(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role == Role.ADMIN)


class IsAdmin(BasePermission):
    message = "Only admins may do this."

    def has_permission(self, request, view) -> bool:
        return is_admin_user(request.user)


class IsStaffOrDocsPublic(BasePermission):
    """Schema and docs: public while ``API_DOCS_PUBLIC`` is on, otherwise staff only.

    Staff may also sign in through the Django admin (session) to read the docs.
    """

    def has_permission(self, request, view) -> bool:
        from django.conf import settings

        return settings.API_DOCS_PUBLIC or is_staff_user(request.user)
