"""``/api/v1/api-keys/``: admins create, list, read and revoke keys; a key is shown once."""

import datetime as dt

import pytest
from django.utils import timezone

from apikeys.models import ApiKey, ApiKeyRole
from apikeys.tests.factories import issue_key
from idempotency.models import IdempotentRequest
from idempotency.tests.test_idempotency_api import signed_in

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/api-keys/"
FIELDS = {"id", "name", "prefix", "role", "created_at", "last_used_at", "expires_at", "revoked"}


def error_codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def test_an_admin_creates_a_key_shown_this_once(admin_client, anon_client):
    response = admin_client.post(KEYS, {"name": "Shop", "role": "dispatcher"})

    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS | {"key"}
    assert body["key"].startswith(body["prefix"] + ".")
    assert (body["role"], body["revoked"], body["expires_at"]) == ("dispatcher", False, None)
    stored = ApiKey.objects.get(pk=body["id"])
    assert body["key"] not in (stored.hashed_key, stored.pk)  # kept hashed only
    me = anon_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Api-Key {body['key']}")
    assert me.json()["username"] == f"api-key:{body['prefix']}"


def test_list_and_retrieve_never_carry_the_key(admin_client):
    issued = issue_key()

    listed = admin_client.get(KEYS)
    one = admin_client.get(f"{KEYS}{issued.api_key.pk}/")

    assert [set(row) for row in listed.json()["results"]] == [FIELDS]
    assert set(one.json()) == FIELDS
    assert one.json()["prefix"] == issued.api_key.prefix
    for response in (listed, one):
        assert issued.secret not in response.content.decode()


def test_a_key_with_an_expiry(admin_client):
    expires = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)

    response = admin_client.post(
        KEYS, {"name": "Feed", "role": "readonly", "expires_at": expires.isoformat()}
    )

    assert response.status_code == 201
    assert dt.datetime.fromisoformat(response.json()["expires_at"]) == expires


@pytest.mark.parametrize(
    ("body", "code", "attr"),
    [
        ({"name": "Shop", "role": "admin"}, "invalid_choice", "role"),
        ({"role": "readonly"}, "required", "name"),
        ({"name": "x" * 51, "role": "readonly"}, "max_length", "name"),
        (
            {"name": "Shop", "role": "readonly", "expires_at": "2020-01-01T00:00:00Z"},
            "api_key_expiry_in_past",
            "expires_at",
        ),
    ],
)
def test_a_refused_create_names_its_code(admin_client, body, code, attr):
    response = admin_client.post(KEYS, body)

    assert response.status_code == 400
    assert [(e["code"], e["attr"]) for e in response.json()["errors"]] == [(code, attr)]
    assert not ApiKey.objects.exists()


def test_revoking_a_key_refuses_it_from_then_on(admin_client):
    issued = issue_key()

    response = admin_client.post(f"{KEYS}{issued.api_key.pk}/revoke/")
    again = admin_client.post(f"{KEYS}{issued.api_key.pk}/revoke/")

    assert response.status_code == 200
    assert response.json()["revoked"] is True
    assert again.status_code == 200
    used = issued.client().get("/api/v1/vehicles/")
    assert used.status_code == 401
    assert error_codes(used) == ["api_key_revoked"]


def test_revoking_an_unknown_key_is_404(admin_client):
    assert admin_client.post(f"{KEYS}999999/revoke/").status_code == 404


@pytest.mark.parametrize("who", ["dispatcher_client", "driver_client"])
def test_only_admins_manage_keys(request, who):
    client = request.getfixturevalue(who)
    issued = issue_key()

    for response in (
        client.get(KEYS),
        client.post(KEYS, {"name": "Shop", "role": "dispatcher"}),
        client.post(f"{KEYS}{issued.api_key.pk}/revoke/"),
    ):
        assert response.status_code == 403
        assert error_codes(response) == ["permission_denied"]
    assert ApiKey.objects.filter(revoked=False).count() == 1


def test_anonymous_gets_401(anon_client):
    assert anon_client.get(KEYS).status_code == 401


@pytest.mark.parametrize("role", ApiKeyRole.values)
def test_no_key_manages_keys(role):
    client = issue_key(role=role).client()

    listed = client.get(KEYS)
    created = client.post(KEYS, {"name": "Another", "role": "dispatcher"})

    assert (listed.status_code, created.status_code) == (403, 403)
    assert ApiKey.objects.count() == 1


def test_the_list_costs_the_same_queries_for_more_keys(admin_client, django_assert_num_queries):
    issue_key()
    with django_assert_num_queries(2):  # the count and the page
        admin_client.get(KEYS)
    for _ in range(4):
        issue_key()
    with django_assert_num_queries(2):
        response = admin_client.get(KEYS)
    assert response.json()["count"] == 5


def test_create_keeps_no_answer_for_an_idempotency_key(admin_user):
    """The answer holds the key: a repeat creates another key rather than show it again."""
    admin_client = signed_in(admin_user)  # a token: the middleware reads the header
    body = {"name": "Shop", "role": "dispatcher"}

    first = admin_client.post(KEYS, body, HTTP_IDEMPOTENCY_KEY="k-1")
    second = admin_client.post(KEYS, body, HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert first.json()["key"] != second.json()["key"]
    assert not IdempotentRequest.objects.exists()


def test_revoke_takes_an_idempotency_key(admin_user):
    admin_client = signed_in(admin_user)
    issued = issue_key()
    url = f"{KEYS}{issued.api_key.pk}/revoke/"

    admin_client.post(url, HTTP_IDEMPOTENCY_KEY="r-1")
    again = admin_client.post(url, HTTP_IDEMPOTENCY_KEY="r-1")

    assert again["Idempotent-Replayed"] == "true"
