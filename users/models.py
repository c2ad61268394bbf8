from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from logitrack.text import normalize_identifier


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    DISPATCHER = "dispatcher", "Dispatcher"
    DRIVER = "driver", "Driver"


STAFF_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})


class UserManager(DjangoUserManager):
    def create_user(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.DRIVER)
        return super().create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields["role"] = Role.ADMIN
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A LogiTrack account. ``role`` is the source of truth: ``is_staff`` and
    ``is_superuser`` are derived from it on every save, and the database refuses
    a row where they disagree."""

    role = models.CharField(max_length=16, choices=Role, default=Role.DRIVER)
    phone = models.CharField(max_length=32, blank=True)

    objects: ClassVar[UserManager] = UserManager()
    # The password hash's fingerprint, set on the account authentication reads from the
    # cache (users.selectors.user_get_for_request): what tokens are checked against.
    password_fingerprint: str

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["role", "is_active"], name="user_role_active_idx")]
        constraints = [
            # ``Admin`` is not another user than ``admin``.
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_unique_ignoring_case",
                violation_error_code="unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.CheckConstraint(
                name="user_role_matches_flags",
                condition=(
                    Q(role=Role.ADMIN, is_staff=True, is_superuser=True)
                    | Q(role=Role.DISPATCHER, is_staff=True, is_superuser=False)
                    | Q(role=Role.DRIVER, is_staff=False, is_superuser=False)
                ),
            ),
        ]

    @classmethod
    def normalize_username(cls, username):
        """NFKC, as Django does, and no invisible characters."""
        return normalize_identifier(super().normalize_username(username))

    def save(self, *args, **kwargs):
        self.sync_flags_with_role()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        # Before validate_constraints, which checks the flags against the role.
        self.sync_flags_with_role()

    def sync_flags_with_role(self) -> None:
        self.is_staff = self.role in STAFF_ROLES
        self.is_superuser = self.role == Role.ADMIN

    @property
    def is_driver(self) -> bool:
        return self.role == Role.DRIVER

    @property
    def is_dispatcher_or_admin(self) -> bool:
        return self.role in STAFF_ROLES
