"""The sign-in lockout: through the admin's real login form and the API's token endpoint."""

import datetime as dt
import json
import logging
import math
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.client import RequestFactory
from rest_framework.test import APIClient

from logitrack.lockout import LOCKED_OUT, LOCKED_OUT_CODE, lockout_response
from logitrack.settings import redis_cache
from users.tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.lockout]

LOGIN_URL = "/admin/login/"
TOKEN_URL = "/api/v1/auth/token/"
WRONG = TEST_PASSWORD + "-wrong"
# Django's own answer to a wrong password on the admin's login form.
WRONG_PASSWORD_TEXT = "Please enter the correct username and password"


def limit() -> int:
    return settings.AXES_FAILURE_LIMIT


def locked_out_text() -> str:
    return LOCKED_OUT.format(minutes=math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def admin_login(client: Client, username: str, password: str, **extra):
    return client.post(
        LOGIN_URL, {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_admin_login(user, times: int, **extra) -> None:
    client = Client()
    for _ in range(times):
        assert not signed_in(admin_login(client, user.username, WRONG, **extra))


def token(username: str, password: str, **extra):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, **extra)


# The admin's login page -------------------------------------------------------------------


def test_one_failure_short_of_the_limit_the_right_password_still_works(client, dispatcher):
    fail_admin_login(dispatcher, limit() - 1)

    assert signed_in(admin_login(client, dispatcher.username, TEST_PASSWORD))


def test_the_admin_login_locks_out_and_says_so(client, dispatcher, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(limit() - 1):
        wrong = admin_login(client, dispatcher.username, WRONG)
        assert wrong.status_code == 200
        assert WRONG_PASSWORD_TEXT in wrong.content.decode()

    last_wrong = admin_login(client, dispatcher.username, WRONG)
    right = admin_login(client, dispatcher.username, TEST_PASSWORD)

    for response in (last_wrong, right):
        assert response.status_code == 429
        page = response.content.decode()
        assert locked_out_text() in page
        assert 'name="password"' in page  # the login page itself, not a bare message
        assert WRONG_PASSWORD_TEXT not in page
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page
    lockouts = [r for r in caplog.records if "Locking out" in r.getMessage()]
    assert lockouts
    assert lockouts[0].levelno == logging.WARNING
    assert dispatcher.username in lockouts[0].getMessage()
    assert "127.0.0.1" in lockouts[0].getMessage()


def test_the_lockout_spares_other_addresses_and_other_usernames(dispatcher, admin_user):
    fail_admin_login(dispatcher, limit())

    from_elsewhere = admin_login(
        Client(), dispatcher.username, TEST_PASSWORD, REMOTE_ADDR="198.51.100.7"
    )
    someone_else = admin_login(Client(), admin_user.username, TEST_PASSWORD)

    assert signed_in(from_elsewhere)
    assert signed_in(someone_else)


def test_a_rotating_forwarded_for_does_not_dodge_the_lockout(client, dispatcher):
    for n in range(limit()):
        admin_login(client, dispatcher.username, WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = admin_login(
        client, dispatcher.username, TEST_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99"
    )

    assert response.status_code == 429


def test_behind_one_proxy_the_address_it_appended_is_locked_out(
    client, dispatcher, trusted_proxies
):
    trusted_proxies(1)
    for n in range(limit()):
        admin_login(
            client, dispatcher.username, WRONG, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7"
        )

    forged_prefix = admin_login(
        Client(), dispatcher.username, TEST_PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7"
    )
    other_client = admin_login(
        Client(), dispatcher.username, TEST_PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.8"
    )

    assert forged_prefix.status_code == 429
    assert signed_in(other_client)


def test_the_lockout_holds_with_the_cache_stopped(settings, redis_server, client, dispatcher):
    settings.CACHES = {"default": redis_cache(redis_server.url)}
    redis_server.stop()

    fail_admin_login(dispatcher, limit())
    response = admin_login(client, dispatcher.username, TEST_PASSWORD)

    assert response.status_code == 429
    assert locked_out_text() in response.content.decode()


def test_the_lockout_ends_after_the_cool_off_without_tries(settings, client, dispatcher):
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=1)
    fail_admin_login(dispatcher, limit())

    time.sleep(1.2)

    assert signed_in(admin_login(client, dispatcher.username, TEST_PASSWORD))


def test_axes_reset_unlocks(client, dispatcher):
    fail_admin_login(dispatcher, limit())

    call_command("axes_reset", verbosity=0)

    assert signed_in(admin_login(client, dispatcher.username, TEST_PASSWORD))


# The API's token endpoint -------------------------------------------------------------------


def assert_locked_out(response) -> None:
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": LOCKED_OUT_CODE, "detail": locked_out_text(), "attr": None}],
    }
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_api_sign_in_locks_out_with_a_json_error(driver):
    statuses = [token(driver.username, WRONG).status_code for _ in range(limit() - 1)]

    assert statuses == [401] * (limit() - 1)
    assert_locked_out(token(driver.username, WRONG))
    assert_locked_out(token(driver.username, TEST_PASSWORD))


def test_api_lockout_spares_other_addresses(driver):
    for _ in range(limit()):
        token(driver.username, WRONG)

    assert token(driver.username, TEST_PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_admin_failures_lock_the_api_out_too_and_back(dispatcher, driver):
    fail_admin_login(dispatcher, limit())
    for _ in range(limit()):
        token(driver.username, WRONG)

    assert_locked_out(token(dispatcher.username, TEST_PASSWORD))
    assert admin_login(Client(), driver.username, TEST_PASSWORD).status_code == 429


def test_a_forwarded_for_that_is_no_address_is_no_server_error(driver, trusted_proxies):
    trusted_proxies(1)

    response = token(driver.username, WRONG, HTTP_X_FORWARDED_FOR="not-an-address")

    assert response.status_code == 401


def test_an_overlong_username_is_counted_not_a_server_error(db):
    """The token endpoint takes usernames of any length; axes' table holds 255 characters."""
    statuses = [token("x" * 300, WRONG).status_code for _ in range(limit())]

    assert statuses == [401] * (limit() - 1) + [429]


def test_a_lockout_under_api_is_never_a_page():
    request = RequestFactory().post("/api/v1/some/sign-in/")

    response = lockout_response(request, None, None)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "type": "client_error",
        "errors": [{"code": LOCKED_OUT_CODE, "detail": locked_out_text(), "attr": None}],
    }
