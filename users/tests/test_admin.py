import pytest
from django.urls import reverse
from django.utils.html import escape

from deliveries.tests.factories import DeliveryFactory
from services.exceptions import DriverHasActiveDeliveries
from users.models import Role, User
from users.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, dispatcher):
    client.force_login(dispatcher)
    return client


@pytest.fixture
def superuser_client(client, admin_user):
    client.force_login(admin_user)
    return client


def changelist_url() -> str:
    return reverse("admin:users_user_changelist")


def add_url() -> str:
    return reverse("admin:users_user_add")


def change_url(user: User) -> str:
    return reverse("admin:users_user_change", args=[user.pk])


def add_form(**overrides) -> dict:
    return {
        "username": "new-driver",
        "password1": TEST_PASSWORD,
        "password2": TEST_PASSWORD,
        "first_name": "Nina",
        "last_name": "Simone",
        "email": "nina@example.com",
        "phone": "+31612345678",
        "role": Role.DRIVER,
        **overrides,
    }


def change_form(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "role": user.role,
        "is_active": "on",
        **overrides,
    }
    return {name: value for name, value in data.items() if value is not None}


def role_choices(response) -> set[str]:
    return {value for value, _label in response.context["adminform"].form.fields["role"].choices}


# Access and list ----------------------------------------------------------------------


def test_dispatcher_can_open_the_user_pages(staff_client, driver):
    assert staff_client.get(changelist_url()).status_code == 200
    assert staff_client.get(add_url()).status_code == 200
    assert staff_client.get(change_url(driver)).status_code == 200


def test_driver_is_sent_to_the_login_page(client, driver):
    client.force_login(driver)

    response = client.get(changelist_url())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_list_filters_by_role_and_searches_names(staff_client, driver, dispatcher):
    UserFactory(inactive=True, username="gone")
    wanted = UserFactory(last_name="Lamarr")

    by_role = staff_client.get(changelist_url(), {"role__exact": Role.DISPATCHER})
    by_active = staff_client.get(changelist_url(), {"is_active__exact": "0"})
    by_name = staff_client.get(changelist_url(), {"q": "lamar"})

    assert list(by_role.context["cl"].result_list) == [dispatcher]
    assert [u.username for u in by_active.context["cl"].result_list] == ["gone"]
    assert list(by_name.context["cl"].result_list) == [wanted]


# Create -------------------------------------------------------------------------------


def test_dispatcher_creates_a_driver(staff_client):
    response = staff_client.post(add_url(), add_form())

    assert response.status_code == 302
    user = User.objects.get(username="new-driver")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.DRIVER, False, False)
    assert user.phone == "+31612345678"
    assert user.check_password(TEST_PASSWORD)


def test_dispatcher_creates_a_dispatcher_who_is_staff(staff_client):
    response = staff_client.post(
        add_url(), add_form(username="new-dispatcher", role=Role.DISPATCHER, is_superuser="on")
    )

    assert response.status_code == 302
    user = User.objects.get(username="new-dispatcher")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.DISPATCHER, True, False)


def test_add_form_refuses_a_weak_password(staff_client):
    response = staff_client.post(add_url(), add_form(password1="12345678", password2="12345678"))

    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="new-driver").exists()


def test_dispatcher_cannot_create_an_admin(staff_client):
    page = staff_client.get(add_url())
    response = staff_client.post(add_url(), add_form(username="boss", role=Role.ADMIN))

    assert Role.ADMIN not in role_choices(page)
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="boss").exists()


def test_admin_creates_an_admin(superuser_client):
    page = superuser_client.get(add_url())
    response = superuser_client.post(add_url(), add_form(username="boss", role=Role.ADMIN))

    assert Role.ADMIN in role_choices(page)
    assert response.status_code == 302
    user = User.objects.get(username="boss")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True)


# Change -------------------------------------------------------------------------------


def test_dispatcher_changes_a_driver(staff_client, driver):
    response = staff_client.post(change_url(driver), change_form(driver, phone="+3100"))

    assert response.status_code == 302
    driver.refresh_from_db()
    assert driver.phone == "+3100"


def test_role_decides_the_flags_not_the_form(staff_client, driver):
    response = staff_client.post(
        change_url(driver),
        change_form(driver, role=Role.DISPATCHER, is_staff=None, is_superuser="on"),
    )

    assert response.status_code == 302
    driver.refresh_from_db()
    assert (driver.role, driver.is_staff, driver.is_superuser) == (Role.DISPATCHER, True, False)


def test_dispatcher_cannot_promote_a_driver_to_admin(staff_client, driver):
    page = staff_client.get(change_url(driver))
    response = staff_client.post(change_url(driver), change_form(driver, role=Role.ADMIN))

    assert Role.ADMIN not in role_choices(page)
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    driver.refresh_from_db()
    assert (driver.role, driver.is_superuser) == (Role.DRIVER, False)


def test_dispatcher_sees_an_admin_read_only(staff_client, admin_user):
    page = staff_client.get(change_url(admin_user))
    response = staff_client.post(
        change_url(admin_user), change_form(admin_user, role=Role.DRIVER, first_name="Changed")
    )

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ADMIN
    assert admin_user.first_name != "Changed"


def test_dispatcher_cannot_change_an_admins_password(staff_client, admin_user):
    url = reverse("admin:auth_user_password_change", args=[admin_user.pk])

    response = staff_client.post(
        url, {"password1": "a-new-long-password", "password2": "a-new-long-password"}
    )

    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.check_password(TEST_PASSWORD)


def test_dispatcher_cannot_delete_an_admin(staff_client, admin_user):
    response = staff_client.post(
        reverse("admin:users_user_delete", args=[admin_user.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_admin_changes_an_admin(superuser_client, admin_user):
    other = UserFactory(admin=True, username="other-admin")

    response = superuser_client.post(change_url(other), change_form(other, first_name="Renamed"))

    assert response.status_code == 302
    other.refresh_from_db()
    assert other.first_name == "Renamed"


def test_a_driver_with_active_deliveries_stays_active(staff_client, driver):
    delivery = DeliveryFactory(assigned=True, driver=driver)

    response = staff_client.post(change_url(driver), change_form(driver, is_active=None))

    assert response.status_code == 200
    message = DriverHasActiveDeliveries(
        username=driver.username, codes=delivery.tracking_code
    ).detail
    assert message in response.context["adminform"].form.non_field_errors()
    assert escape(message) in response.content.decode()
    driver.refresh_from_db()
    assert driver.is_active


# Delete -------------------------------------------------------------------------------


def test_dispatcher_deletes_a_driver_without_deliveries(staff_client, driver):
    response = staff_client.post(
        reverse("admin:users_user_delete", args=[driver.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=driver.pk).exists()
