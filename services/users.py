"""User accounts. Admin accounts are managed by admins only.

Every write re-reads the account under its row lock (``services.common.lock``), the lock
``delivery_assign`` takes on its driver too, so a deactivation or a demotion and an
assignment to the same driver never interleave.
"""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from deliveries.models import ACTIVE_STATUSES
from logitrack import cache
from services.common import lock, model_update
from services.exceptions import (
    AdminAccountProtected,
    DriverHasActiveDeliveries,
    UserHasDeliveries,
    WrongPassword,
)
from users.models import Role, User

USER_EDITABLE_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "role",
    "phone",
    "is_active",
)


def _check_may_manage(*, actor: User | None, role: str) -> None:
    if actor is not None and role == Role.ADMIN and actor.role != Role.ADMIN:
        raise AdminAccountProtected()


def _validate_password(password: str, user: User, *, attr: str = "password") -> None:
    """Django's password validators; each failure keeps its own code
    (``password_too_short``, ``password_too_common``, …)."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({attr: exc.error_list}) from exc


def user_sign_out_everywhere(*, user: User) -> int:
    """Blacklists every refresh token the user still holds, so none of their sessions
    can be extended. Returns how many were blacklisted."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    tokens = [BlacklistedToken(token=token) for token in outstanding]
    BlacklistedToken.objects.bulk_create(tokens, ignore_conflicts=True)
    return len(tokens)


@transaction.atomic
def user_create(*, actor: User | None, password: str, **fields: Any) -> User:
    """Creates an account; ``is_staff``/``is_superuser`` follow from ``role``."""
    user = User(**{name: fields[name] for name in USER_EDITABLE_FIELDS if name in fields})
    _check_may_manage(actor=actor, role=user.role)
    _validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def _check_no_active_deliveries(user: User) -> None:
    codes = list(
        user.deliveries.filter(status__in=ACTIVE_STATUSES)
        .order_by("tracking_code")
        .values_list("tracking_code", flat=True)
    )
    if codes:
        raise DriverHasActiveDeliveries(
            username=user.username, codes=", ".join(codes), extra={"tracking_codes": codes}
        )


@transaction.atomic
def user_update(
    *, user: User, actor: User | None, password: str | None = None, **fields: Any
) -> User:
    """Changes an account. Locks it and writes only the fields that changed.

    A driver with ``assigned``/``in_transit`` deliveries keeps the driver role and stays
    active (``409 driver_has_active_deliveries``) until those are finished. Deactivating
    an account or setting its password signs it out everywhere: its refresh tokens are
    blacklisted, and tokens issued before a password change are refused."""
    locked = lock(user)
    _check_may_manage(actor=actor, role=locked.role)
    was_active_driver = locked.role == Role.DRIVER and locked.is_active
    was_active = locked.is_active
    if fields.get("role", locked.role) == Role.ADMIN:
        _check_may_manage(actor=actor, role=Role.ADMIN)
    stays_active_driver = fields.get("role", locked.role) == Role.DRIVER and fields.get(
        "is_active", locked.is_active
    )
    if was_active_driver and not stays_active_driver:
        _check_no_active_deliveries(locked)
    changed = model_update(instance=locked, fields=USER_EDITABLE_FIELDS, data=fields)
    if password:
        _validate_password(password, locked)  # against the new name and e-mail too
        locked.set_password(password)
        locked.save(update_fields=["password"])
    if password or (was_active and not locked.is_active):
        user_sign_out_everywhere(user=locked)
    if changed:
        cache.bump(cache.DELIVERIES)  # delivery pages show their driver's name and phone
    return locked


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> User:
    """A user changes their own password: ``400 wrong_password`` when ``old_password``
    is not theirs, the password validators' codes for a weak new one. Every session of
    theirs is signed out; the caller hands out new tokens. Locks the account."""
    locked = lock(user)
    if not locked.check_password(old_password):
        raise WrongPassword(attr="old_password")
    _validate_password(new_password, locked, attr="new_password")
    locked.set_password(new_password)
    locked.save(update_fields=["password"])
    user_sign_out_everywhere(user=locked)
    return locked


@transaction.atomic
def user_delete(*, user: User, actor: User | None) -> None:
    """Deletes an account that never drove a delivery; otherwise ``409``. Locks it."""
    locked = lock(user)
    _check_may_manage(actor=actor, role=locked.role)
    if locked.deliveries.exists():
        raise UserHasDeliveries(username=locked.username)
    locked.delete()
