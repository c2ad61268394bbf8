"""API keys for integrations: created with the account they act as, revoked for good,
their last use recorded."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apikeys.models import ApiKey
from services.common import lock, model_update
from services.exceptions import ApiKeyExpiryInPast
from users.models import Role, User

# A key's account is named after its prefix: a name no person's account can have
# (usernames take no ":"), so a key's actions are never mistaken for a person's.
USERNAME_PREFIX = "api-key:"
# ``last_used_at`` is written at most this often per key: using a key costs no write on
# most requests.
LAST_USED_EVERY = dt.timedelta(minutes=1)


@transaction.atomic
def api_key_create(
    *, name: str, role: str, expires_at: dt.datetime | None = None
) -> tuple[ApiKey, str]:
    """Creates a key and its account: a dispatcher (``role`` limits what the key may do
    beyond that) with no usable password, so it can never sign in. Returns the key and
    its secret, which is shown this once: only its hash is kept."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiKeyExpiryInPast(attr="expires_at")
    api_key = ApiKey(name=name, role=role, expiry_date=expires_at)
    secret = ApiKey.objects.assign_key(api_key)
    user = User(username=f"{USERNAME_PREFIX}{api_key.prefix}", role=Role.DISPATCHER)
    user.set_unusable_password()
    user.save()
    api_key.user = user
    api_key.full_clean()
    api_key.save()
    return api_key, secret


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revokes the key for good: from the next request on it answers ``401
    api_key_revoked``. Revoking a revoked key changes nothing. Locks the key."""
    locked = lock(api_key)
    model_update(instance=locked, fields=["revoked"], data={"revoked": True})
    return locked


def api_key_record_use(*, api_key: ApiKey) -> None:
    """Sets ``last_used_at`` to now unless it was set less than ``LAST_USED_EVERY`` ago."""
    now = timezone.now()
    if api_key.last_used_at is None or api_key.last_used_at <= now - LAST_USED_EVERY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
