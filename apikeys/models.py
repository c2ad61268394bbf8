"""API keys for integrations (djangorestframework-api-key keeps them hashed).

Each key acts through an account of its own (``user``): a dispatcher that cannot sign in
(no usable password, so no token either), named ``api-key:<prefix>``, so that whatever
records who acted (a delivery event's ``actor``, a maintenance record's ``started_by``)
records the key. ``role`` limits what the key may do beyond that account's role.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class ApiKeyRole(models.TextChoices):
    DISPATCHER = "dispatcher", "Dispatcher"  # creates and assigns deliveries
    READONLY = "readonly", "Read-only"  # reads what staff read


class ApiKeyManager(BaseAPIKeyManager):
    def assign_key(self, obj: AbstractAPIKey) -> str:
        key = super().assign_key(obj)
        # The library's id is "<prefix>.<hash>": a key is named by a number of its own
        # instead, so that no id shown anywhere carries the hash.
        obj.pk = None
        return key


class ApiKey(AbstractAPIKey):
    id = models.BigAutoField(primary_key=True)  # type: ignore[assignment]
    role = models.CharField(max_length=16, choices=ApiKeyRole)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key"
    )
    # Set on use, at most once per ``LAST_USED_EVERY`` (services.api_keys).
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ApiKeyManager] = ApiKeyManager()  # type: ignore[assignment]

    class Meta(AbstractAPIKey.Meta):
        constraints = [
            models.CheckConstraint(
                name="api_key_role_known", condition=models.Q(role__in=ApiKeyRole.values)
            )
        ]
