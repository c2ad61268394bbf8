import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from rest_framework.test import APIClient

from apikeys.models import ApiKey, ApiKeyRole
from services.api_keys import api_key_create, api_key_revoke


@dataclass
class IssuedKey:
    api_key: ApiKey
    secret: str

    def client(self) -> APIClient:
        """A client that sends ``Authorization: Api-Key <secret>``."""
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {self.secret}")
        return client


def issue_key(
    *,
    role: str = ApiKeyRole.DISPATCHER,
    name: str = "Shop",
    revoked: bool = False,
    expired: bool = False,
) -> IssuedKey:
    """A key made as the API makes one; ``revoked`` and ``expired`` as the name says."""
    api_key, secret = api_key_create(name=name, role=role)
    if revoked:
        api_key = api_key_revoke(api_key=api_key)
    if expired:  # created valid, its expiry now past
        ApiKey.objects.filter(pk=api_key.pk).update(
            expiry_date=timezone.now() - dt.timedelta(seconds=1)
        )
    return IssuedKey(api_key, secret)
