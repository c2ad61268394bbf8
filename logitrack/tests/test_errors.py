"""Every error under ``/api/`` is JSON in the contract's shape, never HTML or a trace."""

import pytest
from rest_framework.test import APIClient

from fleet.tests.factories import VehicleFactory

TOKEN_URL = "/api/v1/auth/token/"
VEHICLES_URL = "/api/v1/vehicles/"

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, error_type: str, code: str | None = None) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].split(";")[0] == "application/json"
    body = response.json()
    assert set(body) == {"type", "errors"}
    assert body["type"] == error_type
    assert body["errors"]
    for error in body["errors"]:
        assert {"code", "detail", "attr"} <= set(error)
        assert error["code"]
        assert error["detail"]
    if code is not None:
        assert [error["code"] for error in body["errors"]] == [code]
    return body


# 404 -----------------------------------------------------------------------------------

UNKNOWN_PATHS = [
    "/api/",
    "/api/nothing-here/",
    "/api/v1/",
    "/api/v1/nothing-here/",
    "/api/v2/vehicles/",
    "/api/v1/vehicles/1/no-such-action/",
]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_api_path_is_json_404_anonymous(anon_client, path, method):
    response = getattr(anon_client, method)(path, {})

    assert_error(response, 404, "client_error", "not_found")


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_api_path_is_json_404_signed_in(dispatcher_client, path, method):
    response = getattr(dispatcher_client, method)(path, {})

    assert_error(response, 404, "client_error", "not_found")


@pytest.mark.parametrize("method", ["put", "patch", "delete", "head", "options"])
def test_unknown_api_path_is_404_for_every_method(anon_client, method):
    response = getattr(anon_client, method)("/api/nothing-here/")

    assert response.status_code == 404
    if method != "head":
        assert_error(response, 404, "client_error", "not_found")


@pytest.mark.parametrize("pk", ["999999", "not-a-number"])
def test_unknown_object_is_json_404(dispatcher_client, pk):
    response = dispatcher_client.get(f"{VEHICLES_URL}{pk}/")

    assert_error(response, 404, "client_error", "not_found")


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("client_name", ["anon_client", "dispatcher_client"])
def test_404_for_a_browser_is_still_json(request, client_name):
    client = request.getfixturevalue(client_name)

    response = client.get("/api/nothing-here/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert_error(response, 404, "client_error", "not_found")
    assert b"<html" not in response.content.lower()


# 405 -----------------------------------------------------------------------------------


def test_wrong_method_on_public_endpoint_is_405(anon_client):
    response = anon_client.get(TOKEN_URL)

    assert_error(response, 405, "client_error", "method_not_allowed")


def test_wrong_method_on_list_endpoint_is_405(dispatcher_client):
    response = dispatcher_client.delete(VEHICLES_URL)

    assert_error(response, 405, "client_error", "method_not_allowed")


def test_wrong_method_on_action_is_405(dispatcher_client):
    vehicle = VehicleFactory()

    response = dispatcher_client.get(f"{VEHICLES_URL}{vehicle.pk}/maintenance/start/")

    assert_error(response, 405, "client_error", "method_not_allowed")
    vehicle.refresh_from_db()
    assert vehicle.status == "available"


# 400 / 415 -------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ['{"username": ', "{'username': 'x'}"])
def test_malformed_json_is_400_parse_error(anon_client, body):
    response = anon_client.post(TOKEN_URL, data=body, content_type="application/json")

    assert_error(response, 400, "validation_error", "parse_error")


def test_malformed_json_on_authenticated_endpoint_is_400(dispatcher_client):
    response = dispatcher_client.post(
        VEHICLES_URL, data='{"plate_number": "AB', content_type="application/json"
    )

    assert_error(response, 400, "validation_error", "parse_error")


def test_field_validation_error_names_the_field(dispatcher_client):
    response = dispatcher_client.post(VEHICLES_URL, {"plate_number": ""})

    body = assert_error(response, 400, "validation_error")
    assert "plate_number" in {error["attr"] for error in body["errors"]}


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml"])
def test_unsupported_media_type_is_415(anon_client, content_type):
    response = anon_client.post(TOKEN_URL, data="username=a&password=b", content_type=content_type)

    assert_error(response, 415, "client_error", "unsupported_media_type")


def test_form_encoded_body_is_415(dispatcher_client):
    response = dispatcher_client.post(
        VEHICLES_URL,
        data="plate_number=AB12CD",
        content_type="application/x-www-form-urlencoded",
    )

    assert_error(response, 415, "client_error", "unsupported_media_type")


# 401 / 403 -------------------------------------------------------------------------------


def test_missing_credentials_is_401_in_shape(anon_client):
    assert_error(anon_client.get(VEHICLES_URL), 401, "client_error", "not_authenticated")


def test_forbidden_is_403_in_shape(driver_client):
    response = driver_client.post(VEHICLES_URL, {"plate_number": "AB12CD"})

    assert_error(response, 403, "client_error", "permission_denied")


# 500 -----------------------------------------------------------------------------------

SECRET_DETAIL = "internal-detail-that-must-not-leak"


@pytest.fixture
def broken_vehicle_list(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr("fleet.views.vehicle_list", explode)


@pytest.fixture
def raising_free_client(dispatcher):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user=dispatcher)
    return client


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_exception_is_500_without_trace(
    settings, broken_vehicle_list, raising_free_client, debug
):
    settings.DEBUG = debug

    response = raising_free_client.get(VEHICLES_URL)

    assert_error(response, 500, "server_error")
    content = response.content.decode()
    assert SECRET_DETAIL not in content
    assert "Traceback" not in content
    assert "RuntimeError" not in content
    assert ".py" not in content
