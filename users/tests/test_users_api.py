"""``/api/v1/users/``: staff-only account management."""

import pytest
from rest_framework.test import APIClient

from deliveries.tests.factories import DeliveryFactory
from logitrack.tests import contract
from services.exceptions import AdminAccountProtected, DriverHasActiveDeliveries, UserHasDeliveries
from users.models import Role, User
from users.tests.factories import UserFactory

USERS_URL = "/api/v1/users/"
TOKEN_URL = "/api/v1/auth/token/"
STRONG_PASSWORD = "plum-harbour-lantern-42"
# Lists, per the contract: 25 a page unless asked; asks above 100 get 100.
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

USER_FIELDS = contract.USER

pytestmark = pytest.mark.django_db


def detail_url(user) -> str:
    return f"{USERS_URL}{user.pk}/"


def new_user_data(**overrides) -> dict:
    data = {
        "username": "new-driver",
        "email": "new-driver@example.com",
        "first_name": "Nora",
        "last_name": "Visser",
        "role": Role.DRIVER,
        "phone": "+31612345678",
        "password": STRONG_PASSWORD,
    }
    data.update(overrides)
    return data


def error_codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


# Who may -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "on_detail"),
    [("get", False), ("post", False), ("get", True), ("patch", True), ("delete", True)],
)
def test_driver_gets_403(driver_client, other_driver, method, on_detail):
    url = detail_url(other_driver) if on_detail else USERS_URL

    response = getattr(driver_client, method)(url, {})

    assert response.status_code == 403
    assert response.json()["type"] == "client_error"
    assert User.objects.filter(pk=other_driver.pk, is_active=True).exists()


@pytest.mark.parametrize(
    ("method", "on_detail"),
    [("get", False), ("post", False), ("get", True), ("patch", True), ("delete", True)],
)
def test_anonymous_gets_401(anon_client, driver, method, on_detail):
    url = detail_url(driver) if on_detail else USERS_URL

    response = getattr(anon_client, method)(url, {})

    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


def test_driver_cannot_create_a_user(driver_client):
    response = driver_client.post(USERS_URL, new_user_data())

    assert response.status_code == 403
    assert not User.objects.filter(username="new-driver").exists()


@pytest.mark.parametrize("staff", ["dispatcher_client", "admin_client"])
def test_staff_can_list(request, staff, driver):
    response = request.getfixturevalue(staff).get(USERS_URL)

    assert response.status_code == 200
    assert driver.pk in [row["id"] for row in response.json()["results"]]


# Output fields ---------------------------------------------------------------------


def test_list_fields_are_exactly_the_contract(dispatcher_client, driver):
    response = dispatcher_client.get(USERS_URL)

    rows = response.json()["results"]
    assert rows
    for row in rows:
        assert set(row) == USER_FIELDS
    row = next(row for row in rows if row["id"] == driver.pk)
    assert row["username"] == driver.username
    assert row["email"] == driver.email
    assert row["role"] == Role.DRIVER
    assert row["phone"] == driver.phone
    assert row["is_active"] is True


def test_detail_fields_are_exactly_the_contract(dispatcher_client, driver):
    response = dispatcher_client.get(detail_url(driver))

    assert response.status_code == 200
    assert set(response.json()) == USER_FIELDS


def test_unknown_user_is_404(dispatcher_client):
    response = dispatcher_client.get(f"{USERS_URL}999999/")

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


# Create -------------------------------------------------------------------------------


def test_create_stores_the_user_and_never_returns_the_password(dispatcher_client):
    response = dispatcher_client.post(USERS_URL, new_user_data())

    assert response.status_code == 201
    body = response.json()
    assert set(body) == USER_FIELDS
    assert "password" not in response.content.decode()
    assert STRONG_PASSWORD not in response.content.decode()
    user = User.objects.get(pk=body["id"])
    assert user.username == "new-driver"
    assert user.role == Role.DRIVER
    assert user.phone == "+31612345678"
    assert user.is_active
    assert user.check_password(STRONG_PASSWORD)


def test_created_user_can_sign_in_with_the_password(dispatcher_client):
    dispatcher_client.post(USERS_URL, new_user_data())

    response = APIClient().post(TOKEN_URL, {"username": "new-driver", "password": STRONG_PASSWORD})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_create_without_password_is_400(dispatcher_client):
    data = new_user_data()
    del data["password"]

    response = dispatcher_client.post(USERS_URL, data)

    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["password"]
    assert not User.objects.filter(username="new-driver").exists()


@pytest.mark.parametrize("password", ["123", "password", "12345678901234", "new-driver"])
def test_weak_password_is_400_on_password(dispatcher_client, password):
    response = dispatcher_client.post(USERS_URL, new_user_data(password=password))

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert {error["attr"] for error in body["errors"]} == {"password"}
    assert not User.objects.filter(username="new-driver").exists()


def test_weak_password_on_update_is_400_and_keeps_the_old_one(dispatcher_client, driver):
    response = dispatcher_client.patch(detail_url(driver), {"password": "123"})

    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"password"}
    driver.refresh_from_db()
    assert not driver.check_password("123")


def test_password_can_be_changed_on_update(dispatcher_client, driver):
    response = dispatcher_client.patch(detail_url(driver), {"password": STRONG_PASSWORD})

    assert response.status_code == 200
    assert "password" not in response.json()
    driver.refresh_from_db()
    assert driver.check_password(STRONG_PASSWORD)


def test_duplicate_username_is_400(dispatcher_client, driver):
    response = dispatcher_client.post(USERS_URL, new_user_data(username=driver.username))

    assert response.status_code == 400
    assert "username" in [e["attr"] for e in response.json()["errors"]]


def test_unknown_role_is_400(dispatcher_client):
    response = dispatcher_client.post(USERS_URL, new_user_data(role="superhero"))

    assert response.status_code == 400
    assert "role" in [e["attr"] for e in response.json()["errors"]]


# Mass assignment ---------------------------------------------------------------------


@pytest.mark.parametrize("staff", ["dispatcher_client", "admin_client"])
def test_create_ignores_is_staff_and_is_superuser(request, staff):
    client = request.getfixturevalue(staff)

    response = client.post(USERS_URL, new_user_data(is_staff=True, is_superuser=True))

    assert response.status_code == 201
    user = User.objects.get(username="new-driver")
    assert user.role == Role.DRIVER
    assert not user.is_staff
    assert not user.is_superuser


@pytest.mark.parametrize("staff", ["dispatcher_client", "admin_client"])
def test_update_ignores_is_staff_and_is_superuser(request, staff, driver):
    client = request.getfixturevalue(staff)

    response = client.patch(detail_url(driver), {"is_staff": True, "is_superuser": True})

    assert response.status_code == 200
    driver.refresh_from_db()
    assert driver.role == Role.DRIVER
    assert not driver.is_staff
    assert not driver.is_superuser


def test_role_decides_staff_flags(admin_client):
    response = admin_client.post(
        USERS_URL, new_user_data(username="new-dispatcher", role=Role.DISPATCHER)
    )

    assert response.status_code == 201
    user = User.objects.get(username="new-dispatcher")
    assert user.is_staff
    assert not user.is_superuser


def test_role_change_moves_staff_flags(dispatcher_client, driver):
    response = dispatcher_client.patch(detail_url(driver), {"role": Role.DISPATCHER})

    assert response.status_code == 200
    assert response.json()["role"] == Role.DISPATCHER
    driver.refresh_from_db()
    assert driver.is_staff
    assert not driver.is_superuser


# Admin accounts ----------------------------------------------------------------------


def assert_admin_protected(response):
    assert response.status_code == 403
    assert response.json()["type"] == "client_error"
    assert error_codes(response) == [AdminAccountProtected.code]


def test_dispatcher_cannot_create_an_admin(dispatcher_client):
    response = dispatcher_client.post(USERS_URL, new_user_data(role=Role.ADMIN))

    assert_admin_protected(response)
    assert not User.objects.filter(username="new-driver").exists()


def test_dispatcher_cannot_change_an_admin(dispatcher_client, admin_user):
    response = dispatcher_client.patch(detail_url(admin_user), {"first_name": "Mallory"})

    assert_admin_protected(response)
    admin_user.refresh_from_db()
    assert admin_user.first_name != "Mallory"


def test_dispatcher_cannot_change_an_admins_password(dispatcher_client, admin_user):
    response = dispatcher_client.patch(detail_url(admin_user), {"password": STRONG_PASSWORD})

    assert_admin_protected(response)
    admin_user.refresh_from_db()
    assert not admin_user.check_password(STRONG_PASSWORD)


def test_dispatcher_cannot_demote_an_admin(dispatcher_client, admin_user):
    response = dispatcher_client.patch(detail_url(admin_user), {"role": Role.DRIVER})

    assert_admin_protected(response)
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN
    assert admin_user.is_superuser


def test_dispatcher_cannot_promote_a_user_to_admin(dispatcher_client, driver):
    response = dispatcher_client.patch(detail_url(driver), {"role": Role.ADMIN})

    assert_admin_protected(response)
    driver.refresh_from_db()
    assert driver.role == Role.DRIVER
    assert not driver.is_superuser


def test_dispatcher_cannot_delete_an_admin(dispatcher_client, admin_user):
    response = dispatcher_client.delete(detail_url(admin_user))

    assert_admin_protected(response)
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_admin_can_create_an_admin(admin_client):
    response = admin_client.post(USERS_URL, new_user_data(username="new-admin", role=Role.ADMIN))

    assert response.status_code == 201
    user = User.objects.get(username="new-admin")
    assert user.role == Role.ADMIN
    assert user.is_staff
    assert user.is_superuser


def test_admin_can_change_an_admin(admin_client):
    other_admin = UserFactory(admin=True)

    response = admin_client.patch(detail_url(other_admin), {"first_name": "Ada"})

    assert response.status_code == 200
    assert response.json()["first_name"] == "Ada"
    other_admin.refresh_from_db()
    assert other_admin.first_name == "Ada"


def test_admin_can_delete_an_admin(admin_client):
    other_admin = UserFactory(admin=True)

    response = admin_client.delete(detail_url(other_admin))

    assert response.status_code == 204
    assert not User.objects.filter(pk=other_admin.pk).exists()


def test_dispatcher_can_change_a_driver(dispatcher_client, driver):
    response = dispatcher_client.patch(detail_url(driver), {"phone": "+31699999999"})

    assert response.status_code == 200
    assert response.json()["phone"] == "+31699999999"
    driver.refresh_from_db()
    assert driver.phone == "+31699999999"


# Drivers with deliveries ---------------------------------------------------------------


@pytest.mark.parametrize("status_trait", ["assigned", "in_transit"])
def test_deactivating_a_driver_with_an_active_delivery_is_409(
    dispatcher_client, driver, status_trait
):
    delivery = DeliveryFactory(driver=driver, **{status_trait: True})

    response = dispatcher_client.patch(detail_url(driver), {"is_active": False})

    assert response.status_code == 409
    assert error_codes(response) == [DriverHasActiveDeliveries.code]
    assert response.json()["errors"][0]["tracking_codes"] == [delivery.tracking_code]
    driver.refresh_from_db()
    assert driver.is_active


def test_changing_role_of_a_driver_with_an_active_delivery_is_409(dispatcher_client, driver):
    DeliveryFactory(driver=driver, assigned=True)

    response = dispatcher_client.patch(detail_url(driver), {"role": Role.DISPATCHER})

    assert response.status_code == 409
    assert error_codes(response) == [DriverHasActiveDeliveries.code]
    driver.refresh_from_db()
    assert driver.role == Role.DRIVER


def test_deactivating_a_driver_with_only_finished_deliveries_works(dispatcher_client, driver):
    DeliveryFactory(driver=driver, delivered=True)
    DeliveryFactory(driver=driver, failed=True)

    response = dispatcher_client.patch(detail_url(driver), {"is_active": False})

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    driver.refresh_from_db()
    assert not driver.is_active


def test_deleting_a_user_with_deliveries_is_409(dispatcher_client, driver):
    DeliveryFactory(driver=driver, delivered=True)

    response = dispatcher_client.delete(detail_url(driver))

    assert response.status_code == 409
    assert error_codes(response) == [UserHasDeliveries.code]
    assert User.objects.filter(pk=driver.pk).exists()


def test_deleting_a_user_without_deliveries_works(dispatcher_client, driver):
    response = dispatcher_client.delete(detail_url(driver))

    assert response.status_code == 204
    assert not User.objects.filter(pk=driver.pk).exists()


# Filters ----------------------------------------------------------------------------


def listed_ids(client, query: str) -> set[int]:
    response = client.get(f"{USERS_URL}?{query}")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_filter_by_role(dispatcher_client, dispatcher, driver, other_driver, admin_user):
    assert listed_ids(dispatcher_client, "role=driver") == {driver.pk, other_driver.pk}
    assert listed_ids(dispatcher_client, "role=dispatcher") == {dispatcher.pk}
    assert listed_ids(dispatcher_client, "role=admin") == {admin_user.pk}


def test_filter_by_unknown_role_is_400(dispatcher_client):
    response = dispatcher_client.get(f"{USERS_URL}?role=superhero")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_filter_by_is_active(dispatcher_client, dispatcher, driver):
    retired = UserFactory(inactive=True)

    assert listed_ids(dispatcher_client, "is_active=false") == {retired.pk}
    assert listed_ids(dispatcher_client, "is_active=true") == {dispatcher.pk, driver.pk}


def test_search(dispatcher_client, driver):
    match = UserFactory(username="jdevries", first_name="Johanna", last_name="de Vries")
    by_email = UserFactory(email="vries.office@example.com")

    assert listed_ids(dispatcher_client, "search=vries") == {match.pk, by_email.pk}
    assert listed_ids(dispatcher_client, "search=Johanna") == {match.pk}
    assert listed_ids(dispatcher_client, f"search={driver.phone}") == {driver.pk}


def test_filters_combine(dispatcher_client, driver):
    UserFactory(inactive=True)

    assert listed_ids(dispatcher_client, "role=driver&is_active=true") == {driver.pk}


# Pagination ----------------------------------------------------------------------------


def test_list_is_paginated(dispatcher_client, dispatcher):
    User.objects.bulk_create(User(username=f"bulk{n:03d}") for n in range(30))
    total = User.objects.count()

    response = dispatcher_client.get(USERS_URL)

    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == total
    assert len(body["results"]) == DEFAULT_PAGE_SIZE
    assert body["previous"] is None
    second = dispatcher_client.get(body["next"]).json()
    assert len(second["results"]) == total - DEFAULT_PAGE_SIZE
    assert second["next"] is None
    seen = {row["id"] for row in body["results"]} | {row["id"] for row in second["results"]}
    assert len(seen) == total


def test_page_size_is_capped_not_refused(dispatcher_client, dispatcher):
    cap = MAX_PAGE_SIZE
    User.objects.bulk_create(User(username=f"bulk{n:03d}") for n in range(cap + 5))

    response = dispatcher_client.get(f"{USERS_URL}?page_size=500")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == User.objects.count()
    assert len(body["results"]) == cap
    assert body["next"] is not None


def test_smaller_page_size_is_honoured(dispatcher_client, driver, other_driver):
    body = dispatcher_client.get(f"{USERS_URL}?page_size=1").json()

    assert body["count"] == 3
    assert len(body["results"]) == 1
    assert body["next"] is not None
