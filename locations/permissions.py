from rest_framework.permissions import BasePermission

from users.models import Role


class IsDriver(BasePermission):
    message = "Only drivers send their positions."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.role == Role.DRIVER)
