"""The demo accounts: an admin, a dispatcher and ``driver1..driverN``."""

from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet

from demo.common import demo_random
from demo.vocabulary import FIRST_NAMES, LAST_NAMES
from services.users import user_create
from users.models import Role, User

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "logitrack-admin"  # noqa: S105 - published demo credentials
DEMO_DISPATCHER_USERNAME = "dispatcher"
DEMO_DISPATCHER_PASSWORD = "logitrack-dispatcher"  # noqa: S105 - published demo credentials
DEMO_DRIVER_USERNAME_PREFIX = "driver"
DEMO_DRIVER_PASSWORD = "logitrack-driver"  # noqa: S105 - published demo credentials

STAFF_ACCOUNTS = (
    (DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD, Role.ADMIN, "Alex", "Admin"),
    (DEMO_DISPATCHER_USERNAME, DEMO_DISPATCHER_PASSWORD, Role.DISPATCHER, "Dana", "Visser"),
)


def demo_driver_usernames(count: int) -> list[str]:
    return [f"{DEMO_DRIVER_USERNAME_PREFIX}{n}" for n in range(1, count + 1)]


def demo_drivers() -> QuerySet[User]:
    """Every demo driver account there is, whatever count the last run asked for."""
    return User.objects.filter(
        role=Role.DRIVER, username__regex=rf"^{DEMO_DRIVER_USERNAME_PREFIX}[1-9][0-9]*$"
    )


def ensure_staff() -> tuple[User, int]:
    """The demo admin and dispatcher, created through ``user_create`` where missing.

    Returns the dispatcher, the actor of demo writes, and how many accounts were created.
    """
    created = 0
    users = {}
    for username, password, role, first_name, last_name in STAFF_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                actor=None,
                password=password,
                username=username,
                email=f"{username}@example.com",
                first_name=first_name,
                last_name=last_name,
                role=role,
            )
            created += 1
        users[username] = user
    return users[DEMO_DISPATCHER_USERNAME], created


def _driver_fields(username: str) -> dict:
    rng = demo_random(f"driver:{username.removeprefix(DEMO_DRIVER_USERNAME_PREFIX)}")
    return {
        "username": username,
        "email": f"{username}@example.com",
        "first_name": rng.choice(FIRST_NAMES),
        "last_name": rng.choice(LAST_NAMES),
        "phone": f"+316{rng.randrange(10**8):08d}",
        "role": Role.DRIVER,
    }


def ensure_drivers(count: int) -> int:
    """Creates the missing ``driver1..driverN``; returns how many.

    The first one goes through ``user_create``; the others share its password hash
    (hashing costs about a third of a second each) and are written in bulk after the
    checks ``user_create`` makes.
    """
    names = demo_driver_usernames(count)
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    missing = [name for name in names if name not in existing]
    if not missing:
        return 0
    first = user_create(actor=None, password=DEMO_DRIVER_PASSWORD, **_driver_fields(missing[0]))
    others = []
    for name in missing[1:]:
        user = User(**_driver_fields(name), password=first.password)
        validate_password(DEMO_DRIVER_PASSWORD, user)
        user.full_clean(validate_unique=False)
        others.append(user)
    User.objects.bulk_create(others, batch_size=1_000)
    return len(missing)
