from rest_framework.permissions import BasePermission

from apikeys.models import ApiKey


class NotWithApiKey(BasePermission):
    """What only a person may do (manage accounts, change a password): refused to a
    request made with an API key."""

    code = "api_key_not_allowed"
    message = "This cannot be done with an API key."

    def has_permission(self, request, view) -> bool:
        return not isinstance(request.auth, ApiKey)
