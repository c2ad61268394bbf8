import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from users.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached reads never leak from one test into another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers are slow by design; tests check behaviour, not hashing cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    return UserFactory(admin=True, username="admin")


@pytest.fixture
def dispatcher(db):
    return UserFactory(dispatcher=True, username="dispatcher")


@pytest.fixture
def driver(db):
    return UserFactory(username="driver")


@pytest.fixture
def other_driver(db):
    return UserFactory(username="other-driver")


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client signed in as ``user`` (authentication forced;
    the JWT flow itself is tested in ``users/tests/test_auth.py``)."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def dispatcher_client(client_for, dispatcher):
    return client_for(dispatcher)


@pytest.fixture
def driver_client(client_for, driver):
    return client_for(driver)


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)
