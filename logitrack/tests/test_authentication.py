"""Authentication per request: a verified token is remembered until it expires, and the
user is read again on every request, so deactivation and deletion act at once."""

import datetime as dt
import time

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from services import users as user_services
from users.selectors import user_get_for_request
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/auth/me/"


def _client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_token_is_verified_once_then_remembered(driver, monkeypatch):
    client = _client(AccessToken.for_user(driver))
    assert client.get(ME_URL).status_code == 200

    def no_second_verification(*args, **kwargs):
        raise AssertionError("a remembered token was verified again")

    monkeypatch.setattr(AccessToken, "verify", no_second_verification)
    assert client.get(ME_URL).json()["username"] == driver.username


def test_a_remembered_token_is_refused_once_it_expires(driver):
    token = AccessToken.for_user(driver)
    token.set_exp(lifetime=dt.timedelta(seconds=1))
    client = _client(token)
    assert client.get(ME_URL).status_code == 200

    time.sleep(max(0.0, token["exp"] - time.time()) + 0.1)
    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "token_not_valid"


def test_a_deactivated_user_is_refused_at_once_with_a_remembered_token(driver):
    client = _client(AccessToken.for_user(driver))
    assert client.get(ME_URL).status_code == 200

    user_services.user_update(user=driver, actor=driver, is_active=False)
    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["errors"][0]["detail"] == "User is inactive"


def test_a_deleted_user_is_refused_with_a_remembered_token(driver):
    client = _client(AccessToken.for_user(driver))
    assert client.get(ME_URL).status_code == 200

    driver.delete()
    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["errors"][0]["detail"] == "User not found"


def test_the_account_is_what_the_orm_reads(driver):
    found = user_get_for_request(driver.pk)

    expected = type(driver).objects.get(pk=driver.pk)
    fields = [field.attname for field in type(driver)._meta.concrete_fields]
    assert {name: getattr(found, name) for name in fields} == {
        name: getattr(expected, name) for name in fields
    }
    assert found._state.adding is False and found._state.db == "default"


@pytest.mark.parametrize("user_id", [10**9, "not-a-number", None, 2**70])
def test_an_unknown_user_id_finds_no_one(user_id):
    UserFactory()
    assert user_get_for_request(user_id) is None


def test_the_account_is_cached_after_the_first_request(driver, django_assert_num_queries):
    client = _client(AccessToken.for_user(driver))
    client.get(ME_URL)

    with django_assert_num_queries(0):
        assert client.get(ME_URL).json()["username"] == driver.username


def test_a_change_made_outside_the_api_acts_on_the_next_request(driver):
    """A save from the admin, a management command or a shell invalidates the cached
    account too (a model signal), not only the API's services."""
    client = _client(AccessToken.for_user(driver))
    assert client.get(ME_URL).json()["role"] == "driver"

    User = type(driver)
    user = User.objects.get(pk=driver.pk)
    user.first_name = "Renamed"
    user.save()
    assert client.get(ME_URL).json()["first_name"] == "Renamed"

    user.is_active = False
    user.save()
    assert client.get(ME_URL).status_code == 401


def test_a_role_change_acts_on_the_next_request(driver, admin_user):
    client = _client(AccessToken.for_user(driver))
    assert client.get("/api/v1/stats/").status_code == 403

    user_services.user_update(user=driver, actor=admin_user, role="dispatcher")

    assert client.get("/api/v1/stats/").status_code == 200


def test_the_cached_account_holds_no_password_hash(driver):
    client = _client(AccessToken.for_user(driver))
    client.get(ME_URL)

    cached = user_get_for_request(driver.pk)
    assert "password" in cached.get_deferred_fields()
    assert driver.password not in repr(cached.__dict__)
    assert cached.password == driver.password  # read from the database when asked
