"""The schema documents API keys: the security scheme Swagger UI's Authorize offers, the
codes a key's refusals carry, and the key's creation outside the idempotency keys."""

import pytest

from apikeys.tests.factories import issue_key
from deliveries.tests.factories import delivery_body
from logitrack.tests.test_openapi_truth import assert_documented, operations

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys/"
UNSAFE = ("post", "put", "patch", "delete")


def _parameters(operation: dict) -> set[str]:
    return {parameter["name"] for parameter in operation.get("parameters", [])}


def test_authorize_offers_jwt_and_api_key(openapi_schema):
    schemes = openapi_schema["components"]["securitySchemes"]
    deliveries = openapi_schema["paths"]["/api/v1/deliveries/"]["get"]

    assert schemes["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["apiKeyAuth"]["description"],
    }
    assert {"jwtAuth", "apiKeyAuth"} <= {name for item in deliveries["security"] for name in item}


def test_creating_a_key_takes_no_idempotency_key(openapi_schema):
    create = openapi_schema["paths"][KEYS]["post"]
    revoke = openapi_schema["paths"][f"{KEYS}{{id}}/revoke/"]["post"]

    assert "Idempotency-Key" not in _parameters(create)
    assert "409" not in create["responses"]
    assert "Idempotency-Key" in _parameters(revoke)


def test_every_signed_in_write_documents_a_403(openapi_schema):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(openapi_schema)
        if method in UNSAFE
        and {} not in operation.get("security", [{}])
        and "403" not in operation["responses"]
    ]
    assert missing == []


def test_refused_keys_are_documented(openapi_schema):
    codes_401 = set(openapi_schema["components"]["schemas"]["ErrorCode401Enum"]["enum"])
    codes_403 = set(openapi_schema["components"]["schemas"]["ErrorCode403Enum"]["enum"])

    assert {"api_key_not_valid", "api_key_revoked", "api_key_expired"} <= codes_401
    assert {"api_key_read_only", "api_key_not_allowed"} <= codes_403


@pytest.mark.parametrize("state", [{"revoked": True}, {"expired": True}])
def test_a_refused_key_is_a_documented_401(openapi_schema, state):
    response = issue_key(**state).client().get("/api/v1/deliveries/")

    assert_documented(openapi_schema, "/api/v1/deliveries/", "get", response)


def test_a_write_with_a_readonly_key_is_a_documented_403(openapi_schema):
    client = issue_key(role="readonly").client()

    delivery = client.post("/api/v1/deliveries/", delivery_body())
    password = client.post(
        "/api/v1/auth/password/", {"old_password": "x", "new_password": "y-long-enough"}
    )

    assert (delivery.status_code, password.status_code) == (403, 403)
    assert_documented(openapi_schema, "/api/v1/deliveries/", "post", delivery)
    assert_documented(openapi_schema, "/api/v1/auth/password/", "post", password)


def test_a_dispatcher_key_on_users_is_a_documented_403(openapi_schema):
    response = issue_key().client().get("/api/v1/users/")

    assert_documented(openapi_schema, "/api/v1/users/", "get", response)


def test_the_api_key_answers_are_documented(openapi_schema, admin_client):
    created = admin_client.post(KEYS, {"name": "Shop", "role": "readonly"})
    key_id = created.json()["id"]

    assert_documented(openapi_schema, KEYS, "post", created)
    assert_documented(openapi_schema, KEYS, "get", admin_client.get(KEYS))
    assert_documented(openapi_schema, f"{KEYS}{{id}}/", "get", admin_client.get(f"{KEYS}{key_id}/"))
    revoked = admin_client.post(f"{KEYS}{key_id}/revoke/")
    assert_documented(openapi_schema, f"{KEYS}{{id}}/revoke/", "post", revoked)


def test_a_refused_create_is_a_documented_400(openapi_schema, admin_client):
    for body in (
        {"name": "Shop", "role": "readonly", "expires_at": "2000-01-01T00:00:00Z"},
        {"name": "", "role": "owner"},
    ):
        response = admin_client.post(KEYS, body)
        assert response.status_code == 400
        assert_documented(openapi_schema, KEYS, "post", response)
