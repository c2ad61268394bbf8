"""The JWT sign-in flow, end to end through the real token endpoints."""

import base64
import datetime as dt
import json

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from logitrack.tests import contract
from users.tests.factories import TEST_PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/auth/me/"

USER_FIELDS = contract.USER

pytestmark = pytest.mark.django_db


def sign_in(user, password=TEST_PASSWORD):
    return APIClient().post(TOKEN_URL, {"username": user.username, "password": password})


def tokens_for(user) -> dict:
    response = sign_in(user)
    assert response.status_code == 200, response.json()
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_json(data: dict) -> str:
    return b64url(json.dumps(data, separators=(",", ":")).encode())


def b64url_decode_json(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def unverified_claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def assert_client_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"]
    for error in body["errors"]:
        assert {"code", "detail", "attr"} <= set(error)
    return body


# Sign-in ---------------------------------------------------------------------------


def test_sign_in_returns_access_and_refresh_tokens_that_authenticate(driver):
    tokens = tokens_for(driver)

    assert set(tokens) == {"access", "refresh"}
    response = bearer(tokens["access"]).get(ME_URL)
    assert response.status_code == 200
    assert response.json()["username"] == driver.username


def test_sign_in_with_wrong_password_is_401_in_error_shape(driver):
    response = sign_in(driver, password=TEST_PASSWORD + "-wrong")

    body = assert_client_error(response, 401)
    assert "access" not in body
    assert "refresh" not in body


def test_sign_in_of_unknown_user_is_401(db):
    response = APIClient().post(TOKEN_URL, {"username": "nobody", "password": TEST_PASSWORD})

    assert_client_error(response, 401)


def test_sign_in_of_inactive_user_is_401(db):
    user = UserFactory(inactive=True)

    assert_client_error(sign_in(user), 401)


def test_access_token_lives_at_most_15_minutes(driver):
    claims = unverified_claims(tokens_for(driver)["access"])

    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60


def test_jwt_signing_key_is_not_the_django_secret_key():
    assert settings.SIMPLE_JWT["SIGNING_KEY"]
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY


# Rejected access tokens -------------------------------------------------------------


def test_no_token_is_401(anon_client):
    assert_client_error(anon_client.get(ME_URL), 401)


def test_expired_access_token_is_401(driver):
    token = AccessToken.for_user(driver)
    token.set_exp(
        from_time=timezone.now() - dt.timedelta(hours=1), lifetime=dt.timedelta(minutes=5)
    )

    assert_client_error(bearer(str(token)).get(ME_URL), 401)


def test_freshly_built_access_token_is_accepted(driver):
    """The counterpart of the forged tokens below: built the same way, it works."""
    assert bearer(str(AccessToken.for_user(driver))).get(ME_URL).status_code == 200


def _tamper_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    # A character in the middle: the last one may only carry padding bits.
    i = len(signature) // 2
    swapped = "A" if signature[i] != "A" else "B"
    return ".".join((header, payload, signature[:i] + swapped + signature[i + 1 :]))


def _tamper_payload(token: str, other_user_id: int) -> str:
    header, payload, signature = token.split(".")
    claims = b64url_decode_json(payload)
    claim = jwt_settings.USER_ID_CLAIM
    claims[claim] = type(claims[claim])(other_user_id)
    return ".".join((header, b64url_json(claims), signature))


def test_token_with_changed_signature_is_401(driver):
    access = tokens_for(driver)["access"]

    assert_client_error(bearer(_tamper_signature(access)).get(ME_URL), 401)


def test_token_with_changed_payload_is_401(driver, admin_user):
    access = tokens_for(driver)["access"]

    response = bearer(_tamper_payload(access, admin_user.pk)).get(ME_URL)

    assert_client_error(response, 401)


def test_token_with_alg_none_is_401(driver):
    access = tokens_for(driver)["access"]
    payload = access.split(".")[1]
    forged = ".".join((b64url_json({"alg": "none", "typ": "JWT"}), payload, ""))

    assert_client_error(bearer(forged).get(ME_URL), 401)


def test_token_signed_with_django_secret_key_is_401(driver):
    claims = unverified_claims(tokens_for(driver)["access"])
    algorithm = settings.SIMPLE_JWT["ALGORITHM"]
    forged = jwt.encode(claims, settings.SECRET_KEY, algorithm=algorithm)
    genuine = jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm=algorithm)

    assert_client_error(bearer(forged).get(ME_URL), 401)
    assert bearer(genuine).get(ME_URL).status_code == 200


def test_refresh_token_is_not_accepted_as_access_token(driver):
    refresh = tokens_for(driver)["refresh"]

    assert_client_error(bearer(refresh).get(ME_URL), 401)


# Refresh and rotation ----------------------------------------------------------------


def test_refresh_returns_new_access_and_new_refresh(driver):
    tokens = tokens_for(driver)

    response = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]})

    assert response.status_code == 200
    renewed = response.json()
    assert renewed["refresh"] != tokens["refresh"]
    assert renewed["access"] != tokens["access"]
    assert bearer(renewed["access"]).get(ME_URL).json()["id"] == driver.pk
    assert APIClient().post(REFRESH_URL, {"refresh": renewed["refresh"]}).status_code == 200


def test_rotated_refresh_token_cannot_be_reused(driver):
    old_refresh = tokens_for(driver)["refresh"]
    assert APIClient().post(REFRESH_URL, {"refresh": old_refresh}).status_code == 200

    response = APIClient().post(REFRESH_URL, {"refresh": old_refresh})

    assert_client_error(response, 401)


def test_refresh_with_garbage_is_401(db):
    assert_client_error(APIClient().post(REFRESH_URL, {"refresh": "not-a-token"}), 401)


# Logout -------------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token(driver):
    tokens = tokens_for(driver)

    response = bearer(tokens["access"]).post(LOGOUT_URL, {"refresh": tokens["refresh"]})

    assert response.status_code == 205
    assert_client_error(APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}), 401)


def test_logout_without_access_token_is_401_and_keeps_the_refresh_token(driver):
    tokens = tokens_for(driver)

    response = APIClient().post(LOGOUT_URL, {"refresh": tokens["refresh"]})

    assert_client_error(response, 401)
    assert APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}).status_code == 200


def test_logout_with_another_users_refresh_token_is_401_and_keeps_it(driver, other_driver):
    mine = tokens_for(driver)
    theirs = tokens_for(other_driver)

    response = bearer(mine["access"]).post(LOGOUT_URL, {"refresh": theirs["refresh"]})

    assert_client_error(response, 401)
    assert APIClient().post(REFRESH_URL, {"refresh": theirs["refresh"]}).status_code == 200


def test_logout_without_refresh_token_is_400(driver):
    tokens = tokens_for(driver)

    response = bearer(tokens["access"]).post(LOGOUT_URL, {})

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [error["attr"] for error in body["errors"]] == ["refresh"]


# Me ---------------------------------------------------------------------------------


def test_me_returns_the_signed_in_user_per_contract(dispatcher):
    tokens = tokens_for(dispatcher)

    response = bearer(tokens["access"]).get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_FIELDS
    assert body["id"] == dispatcher.pk
    assert body["username"] == dispatcher.username
    assert body["email"] == dispatcher.email
    assert body["first_name"] == dispatcher.first_name
    assert body["last_name"] == dispatcher.last_name
    assert body["role"] == dispatcher.role
    assert body["phone"] == dispatcher.phone
    assert body["is_active"] is True
    assert dt.datetime.fromisoformat(body["date_joined"]) == dispatcher.date_joined


# Throttling ---------------------------------------------------------------------------


def _rate(scope):
    return SimpleRateThrottle.parse_rate(
        None, settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]
    )


def test_auth_rate_is_stricter_than_the_general_rates():
    allowed, period = _rate("auth")
    for scope in ("anon", "user"):
        other_allowed, other_period = _rate(scope)
        assert allowed / period < other_allowed / other_period


def test_token_endpoint_is_throttled_after_the_configured_attempts(driver):
    allowed, _period = _rate("auth")
    client = APIClient()
    wrong = {"username": driver.username, "password": TEST_PASSWORD + "-wrong"}
    for _ in range(allowed):
        assert client.post(TOKEN_URL, wrong).status_code == 401

    # Even the right password is refused now.
    response = client.post(TOKEN_URL, {"username": driver.username, "password": TEST_PASSWORD})

    body = assert_client_error(response, 429)
    assert [error["code"] for error in body["errors"]] == ["throttled"]
    assert "Retry-After" in response
