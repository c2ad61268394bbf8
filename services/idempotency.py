"""Idempotency keys: a repeated ``POST`` gets the first one's answer and changes nothing.

The first request with a key claims it (a row, committed before the request runs, so a
twin arriving meanwhile sees it); once it is answered, the answer is kept for
``IDEMPOTENCY_HOURS`` with a fingerprint of the method, the path and the body. A repeat
with the same fingerprint gets that answer again; another fingerprint, or a repeat while
the first still runs, is a conflict. An answer of 500 or more keeps nothing: the client
may try again.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from idempotency.models import IdempotentRequest
from services.exceptions import IdempotencyKeyInProgress, IdempotencyKeyReused
from users.models import User


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


# A claim still running after this was left by a process that died (requests time out
# after GUNICORN_TIMEOUT, 30 s): the key may be used again.
ABANDONED = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    content_type: str
    body: bytes


def idempotency_claim(*, owner: User, key: str, fingerprint: str) -> StoredAnswer | None:
    """Claims ``key`` for this request (``None``: go ahead, then call
    ``idempotency_complete``), or the answer a finished twin left. Raises
    ``IdempotencyKeyReused`` (another request used the key) or
    ``IdempotencyKeyInProgress`` (the twin still runs)."""
    now = timezone.now()
    expires = now + dt.timedelta(hours=settings.IDEMPOTENCY_HOURS)
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(
                owner=owner, key=key, fingerprint=fingerprint, expires_at=expires
            )
        return None
    except IntegrityError:
        found = IdempotentRequest.objects.filter(owner=owner, key=key).first()
    abandoned = found is not None and not found.done and found.created_at <= now - ABANDONED
    if found is None or found.expires_at <= now or abandoned:  # claim it afresh
        if found is not None:
            found.delete()
        return idempotency_claim(owner=owner, key=key, fingerprint=fingerprint)
    if found.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if not found.done:
        raise IdempotencyKeyInProgress()
    return StoredAnswer(found.status_code or 200, found.content_type, bytes(found.body))


def idempotency_complete(*, owner: User, key: str, answer: StoredAnswer) -> None:
    """Keeps the answer of the request that claimed ``key``; one of 500 or more is not
    kept (the claim is dropped, so the client may try again)."""
    claimed = IdempotentRequest.objects.filter(owner=owner, key=key, done=False)
    if answer.status_code >= 500:
        claimed.delete()
        return
    claimed.update(
        done=True,
        status_code=answer.status_code,
        content_type=answer.content_type,
        body=answer.body,
    )


def idempotency_purge() -> int:
    """Forgets the keys whose time is over. Returns how many."""
    deleted, _ = IdempotentRequest.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
