import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from deliveries.tests.factories import DeliveryFactory
from services.exceptions import AdminAccountProtected, DriverHasActiveDeliveries, UserHasDeliveries
from services.users import user_create, user_delete, user_update
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "plum-Orbit-harbour-42"


def account_fields(**overrides):
    return {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "phone": "+31612345678",
        **overrides,
    }


def stored_flags(user):
    return User.objects.values_list("role", "is_staff", "is_superuser", "is_active").get(pk=user.pk)


# user_create ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "is_staff", "is_superuser"),
    [(Role.DRIVER, False, False), (Role.DISPATCHER, True, False), (Role.ADMIN, True, True)],
)
def test_create_derives_the_flags_from_the_role(role, is_staff, is_superuser, admin_user):
    user = user_create(actor=admin_user, password=STRONG_PASSWORD, role=role, **account_fields())

    assert stored_flags(user) == (role, is_staff, is_superuser, True)
    stored = User.objects.get(pk=user.pk)
    assert stored.check_password(STRONG_PASSWORD)
    assert (stored.email, stored.first_name, stored.phone) == (
        "newcomer@example.com",
        "Grace",
        "+31612345678",
    )


def test_create_ignores_flags_that_contradict_the_role(admin_user):
    user = user_create(
        actor=admin_user,
        password=STRONG_PASSWORD,
        role=Role.DRIVER,
        is_staff=True,
        is_superuser=True,
        **account_fields(),
    )

    assert stored_flags(user) == (Role.DRIVER, False, False, True)


@pytest.mark.parametrize("password", ["short1", "12345678901", "password123", "newcomer1"])
def test_create_refuses_a_weak_password(password, dispatcher):
    with pytest.raises(ValidationError) as exc_info:
        user_create(actor=dispatcher, password=password, role=Role.DRIVER, **account_fields())

    assert "password" in exc_info.value.message_dict
    assert not User.objects.filter(username="newcomer").exists()


def test_create_refuses_a_taken_username(dispatcher, driver):
    with pytest.raises(ValidationError) as exc_info:
        user_create(
            actor=dispatcher,
            password=STRONG_PASSWORD,
            role=Role.DRIVER,
            **account_fields(username=driver.username),
        )

    assert "username" in exc_info.value.message_dict


def test_dispatcher_may_not_create_an_admin(dispatcher):
    with pytest.raises(AdminAccountProtected) as exc_info:
        user_create(actor=dispatcher, password=STRONG_PASSWORD, role=Role.ADMIN, **account_fields())

    assert exc_info.value.code == AdminAccountProtected.code
    assert exc_info.value.status_code == 403
    assert not User.objects.filter(username="newcomer").exists()


# user_update ----------------------------------------------------------------------


def test_dispatcher_may_update_a_driver(dispatcher, driver):
    user_update(user=driver, actor=dispatcher, phone="+31699999999", first_name="Max")

    driver.refresh_from_db()
    assert (driver.phone, driver.first_name) == ("+31699999999", "Max")


def test_update_sets_a_new_password(dispatcher, driver):
    user_update(user=driver, actor=dispatcher, password=STRONG_PASSWORD)

    driver.refresh_from_db()
    assert driver.check_password(STRONG_PASSWORD)


def test_update_refuses_a_weak_password(dispatcher, driver):
    old_hash = driver.password

    with pytest.raises(ValidationError) as exc_info:
        user_update(user=driver, actor=dispatcher, password="123", first_name="Changed")

    assert "password" in exc_info.value.message_dict
    driver.refresh_from_db()
    assert driver.password == old_hash
    assert driver.first_name != "Changed"


@pytest.mark.parametrize(
    ("from_role", "to_role", "is_staff", "is_superuser"),
    [
        (Role.DRIVER, Role.DISPATCHER, True, False),
        (Role.DISPATCHER, Role.DRIVER, False, False),
        (Role.DISPATCHER, Role.ADMIN, True, True),
        (Role.ADMIN, Role.DISPATCHER, True, False),
    ],
)
def test_admin_may_change_any_role(from_role, to_role, is_staff, is_superuser, admin_user):
    user = UserFactory(role=from_role)

    user_update(user=user, actor=admin_user, role=to_role)

    assert stored_flags(user) == (to_role, is_staff, is_superuser, True)


def test_dispatcher_may_not_update_an_admin(dispatcher):
    admin = UserFactory(admin=True)

    with pytest.raises(AdminAccountProtected) as exc_info:
        user_update(user=admin, actor=dispatcher, first_name="Mallory")

    assert exc_info.value.status_code == 403
    admin.refresh_from_db()
    assert admin.first_name != "Mallory"


def test_dispatcher_may_not_make_anyone_an_admin(dispatcher, driver):
    with pytest.raises(AdminAccountProtected):
        user_update(user=driver, actor=dispatcher, role=Role.ADMIN)

    assert stored_flags(driver) == (Role.DRIVER, False, False, True)


def test_admin_may_update_an_admin(admin_user):
    other_admin = UserFactory(admin=True)

    user_update(user=other_admin, actor=admin_user, first_name="Renamed")

    other_admin.refresh_from_db()
    assert other_admin.first_name == "Renamed"


@pytest.mark.parametrize("trait", ["assigned", "in_transit"])
@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"role": Role.DISPATCHER}], ids=["deactivate", "re-role"]
)
def test_a_driver_with_active_deliveries_stays_an_active_driver(trait, change, admin_user, driver):
    active = DeliveryFactory(**{trait: True}, driver=driver)

    with pytest.raises(DriverHasActiveDeliveries) as exc_info:
        user_update(user=driver, actor=admin_user, **change)

    assert exc_info.value.code == DriverHasActiveDeliveries.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.extra["tracking_codes"] == [active.tracking_code]
    assert stored_flags(driver) == (Role.DRIVER, False, False, True)


@pytest.mark.parametrize("trait", ["delivered", "failed"])
def test_a_driver_with_only_finished_deliveries_may_be_deactivated(trait, dispatcher, driver):
    DeliveryFactory(**{trait: True}, driver=driver)

    user_update(user=driver, actor=dispatcher, is_active=False)

    assert stored_flags(driver) == (Role.DRIVER, False, False, False)


def test_a_driver_with_active_deliveries_may_still_be_edited(dispatcher, driver):
    DeliveryFactory(assigned=True, driver=driver)

    user_update(user=driver, actor=dispatcher, phone="+31600000001")

    driver.refresh_from_db()
    assert driver.phone == "+31600000001"


# user_delete ----------------------------------------------------------------------


def test_delete_removes_an_account_without_deliveries(dispatcher, driver):
    user_delete(user=driver, actor=dispatcher)

    assert not User.objects.filter(pk=driver.pk).exists()


@pytest.mark.parametrize("trait", ["assigned", "delivered"])
def test_delete_of_a_driver_with_deliveries_is_refused(trait, dispatcher, driver):
    DeliveryFactory(**{trait: True}, driver=driver)

    with pytest.raises(UserHasDeliveries) as exc_info:
        user_delete(user=driver, actor=dispatcher)

    assert exc_info.value.code == UserHasDeliveries.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.detail == UserHasDeliveries.message.format(username=driver.username)
    assert User.objects.filter(pk=driver.pk).exists()


def test_dispatcher_may_not_delete_an_admin(dispatcher):
    admin = UserFactory(admin=True)

    with pytest.raises(AdminAccountProtected):
        user_delete(user=admin, actor=dispatcher)

    assert User.objects.filter(pk=admin.pk).exists()


def test_admin_may_delete_an_admin(admin_user):
    other_admin = UserFactory(admin=True)

    user_delete(user=other_admin, actor=admin_user)

    assert not User.objects.filter(pk=other_admin.pk).exists()


# The database refuses what the services would never write -------------------------


@pytest.mark.parametrize(
    ("traits", "changes"),
    [
        ({}, {"is_staff": True}),
        ({}, {"is_superuser": True}),
        ({"dispatcher": True}, {"is_staff": False}),
        ({"dispatcher": True}, {"is_superuser": True}),
        ({"admin": True}, {"is_superuser": False}),
        ({}, {"role": Role.ADMIN}),
    ],
    ids=[
        "staff-driver",
        "superuser-driver",
        "non-staff-dispatcher",
        "superuser-dispatcher",
        "non-superuser-admin",
        "admin-role-without-flags",
    ],
)
def test_database_refuses_flags_that_contradict_the_role(traits, changes):
    user = UserFactory(**traits)

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(**changes)
