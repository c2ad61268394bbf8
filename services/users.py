"""User accounts. Admin accounts are managed by admins only."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from deliveries.models import ACTIVE_STATUSES
from logitrack import cache
from services.exceptions import AdminAccountProtected, DriverHasActiveDeliveries, UserHasDeliveries
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


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


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


@transaction.atomic
def user_update(
    *, user: User, actor: User | None, password: str | None = None, **fields: Any
) -> User:
    """Changes an account. A driver with active deliveries keeps the driver role and
    stays active (``409 driver_has_active_deliveries``) until those are finished."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    _check_may_manage(actor=actor, role=locked.role)
    was_active_driver = locked.role == Role.DRIVER and locked.is_active
    for name in USER_EDITABLE_FIELDS:
        if name in fields:
            setattr(locked, name, fields[name])
    _check_may_manage(actor=actor, role=locked.role)
    if was_active_driver and (locked.role != Role.DRIVER or not locked.is_active):
        codes = list(
            locked.deliveries.filter(status__in=ACTIVE_STATUSES).values_list(
                "tracking_code", flat=True
            )
        )
        if codes:
            raise DriverHasActiveDeliveries(
                username=locked.username, codes=", ".join(codes), extra={"tracking_codes": codes}
            )
    if password:
        _validate_password(password, locked)
        locked.set_password(password)
    locked.full_clean()
    locked.save()
    cache.bump(cache.DELIVERIES)  # delivery pages show their driver's name and phone
    return locked


@transaction.atomic
def user_delete(*, user: User, actor: User | None) -> None:
    """Deletes an account that never drove a delivery; otherwise ``409``."""
    _check_may_manage(actor=actor, role=user.role)
    if user.deliveries.exists():
        raise UserHasDeliveries(username=user.username)
    user.delete()
