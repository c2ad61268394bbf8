import pytest
from standardwebhooks import Webhook

from services.exceptions import WebhookUrlNotAllowed
from webhooks.guard import HTTPS_ONLY, NO_CREDENTIALS, UNRESOLVED
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

WEBHOOKS = "/api/v1/webhooks/"
PUBLIC = "93.184.216.34"


def _codes(response) -> set[str]:
    return {error["code"] for error in response.json()["errors"]}


def test_staff_register_an_endpoint_and_see_its_secret_once(dispatcher_client, resolver):
    resolver["hooks.example.com"] = [PUBLIC]
    body = {"url": "https://hooks.example.com/in", "events": ["delivery.created"]}

    created = dispatcher_client.post(WEBHOOKS, body, format="json")

    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["secret"].startswith("whsec_")
    assert Webhook(answer["secret"])  # a secret the library takes
    assert answer["is_active"] is True
    assert answer["disabled_reason"] == ""
    listed = dispatcher_client.get(WEBHOOKS).json()["results"]
    assert [item["id"] for item in listed] == [answer["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in dispatcher_client.get(f"{WEBHOOKS}{answer['id']}/").json()


def test_rotating_gives_a_new_secret_once(dispatcher_client, resolver):
    resolver["hooks.example.com"] = [PUBLIC]
    body = {"url": "https://hooks.example.com/in", "events": ["*"]}
    created = dispatcher_client.post(WEBHOOKS, body, format="json").json()

    rotated = dispatcher_client.post(f"{WEBHOOKS}{created['id']}/rotate-secret/")

    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created["secret"]
    assert WebhookEndpoint.objects.get().secret == rotated.json()["secret"]


def test_drivers_may_not_and_strangers_must_sign_in(driver_client, anon_client):
    assert driver_client.get(WEBHOOKS).status_code == 403
    assert anon_client.get(WEBHOOKS).status_code == 401


@pytest.mark.parametrize("events", [["delivery.exploded"], ["*", "nope"], ["DELIVERY.CREATED"]])
def test_an_unknown_event_type_is_refused(dispatcher_client, resolver, events):
    resolver["hooks.example.com"] = [PUBLIC]
    body = {"url": "https://hooks.example.com/in", "events": events}

    response = dispatcher_client.post(WEBHOOKS, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_event_type"
    assert response.json()["errors"][0]["attr"] == "events"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://127.1/",
        "http://0x7f000001/",
        "https://10.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://internal.example/",
        "https://mixed.example/",
        "https://[::ffff:127.0.0.1]/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://100.64.0.1/",
    ],
)
def test_a_url_reaching_inside_is_refused_before_any_connection(
    dispatcher_client, resolver, connections, settings, url
):
    settings.WEBHOOK_ALLOW_HTTP = True  # the address is what refuses, not the scheme
    resolver["internal.example"] = ["10.1.2.3"]
    resolver["mixed.example"] = [PUBLIC, "192.168.1.20"]

    response = dispatcher_client.post(WEBHOOKS, {"url": url, "events": ["*"]}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == WebhookUrlNotAllowed.code
    assert response.json()["errors"][0]["attr"] == "url"
    assert not WebhookEndpoint.objects.exists()
    assert [address for address in connections if address[1] in (80, 443)] == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/", HTTPS_ONLY),
        ("ftp://hooks.example.com/", HTTPS_ONLY),
        ("https://user:pw@hooks.example.com/", NO_CREDENTIALS),
        ("https://nowhere.example/", UNRESOLVED),
        ("hooks.example.com", HTTPS_ONLY),
    ],
)
def test_a_url_that_is_not_https_to_a_known_host_is_refused(
    dispatcher_client, resolver, url, reason
):
    resolver["hooks.example.com"] = [PUBLIC]

    response = dispatcher_client.post(WEBHOOKS, {"url": url, "events": ["*"]}, format="json")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == WebhookUrlNotAllowed.code
    assert reason in error["detail"]


def test_http_is_accepted_while_debugging(dispatcher_client, resolver, settings):
    settings.DEBUG = True
    resolver["hooks.example.com"] = [PUBLIC]
    body = {"url": "http://hooks.example.com/", "events": ["*"]}

    assert dispatcher_client.post(WEBHOOKS, body, format="json").status_code == 201


def test_a_changed_url_is_checked_again(dispatcher_client, resolver):
    resolver["hooks.example.com"] = [PUBLIC]
    resolver["internal.example"] = ["10.1.2.3"]
    body = {"url": "https://hooks.example.com/", "events": ["*"]}
    created = dispatcher_client.post(WEBHOOKS, body, format="json").json()

    response = dispatcher_client.patch(
        f"{WEBHOOKS}{created['id']}/", {"url": "https://internal.example/"}, format="json"
    )

    assert response.status_code == 400
    assert _codes(response) == {WebhookUrlNotAllowed.code}
    assert WebhookEndpoint.objects.get().url == "https://hooks.example.com/"


def test_turning_an_endpoint_on_again_clears_why_it_was_disabled(dispatcher_client, resolver):
    resolver["hooks.example.com"] = [PUBLIC]
    body = {"url": "https://hooks.example.com/", "events": ["*"]}
    created = dispatcher_client.post(WEBHOOKS, body, format="json").json()
    WebhookEndpoint.objects.update(is_active=False, disabled_reason="Every attempt failed")

    response = dispatcher_client.patch(
        f"{WEBHOOKS}{created['id']}/", {"is_active": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert response.json()["disabled_reason"] == ""


def test_a_disabled_endpoint_cannot_be_pinged(dispatcher_client, resolver):
    resolver["hooks.example.com"] = [PUBLIC]
    body = {"url": "https://hooks.example.com/", "events": ["*"], "is_active": False}
    created = dispatcher_client.post(WEBHOOKS, body, format="json").json()

    response = dispatcher_client.post(f"{WEBHOOKS}{created['id']}/ping/")

    assert response.status_code == 409
    assert _codes(response) == {"webhook_endpoint_inactive"}


def test_deleting_an_endpoint(dispatcher_client, resolver):
    resolver["hooks.example.com"] = [PUBLIC]
    body = {"url": "https://hooks.example.com/", "events": ["*"]}
    created = dispatcher_client.post(WEBHOOKS, body, format="json").json()

    assert dispatcher_client.delete(f"{WEBHOOKS}{created['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_with_names_not_resolved_only_an_address_is_accepted(dispatcher_client, resolver, settings):
    """``WEBHOOK_RESOLVE_NAMES`` off: a name is refused without a DNS query (the stub
    answers names only when asked to resolve them), an address is taken as it is."""
    settings.WEBHOOK_RESOLVE_NAMES = False
    resolver["hooks.example.com"] = [PUBLIC]

    named = {"url": "https://hooks.example.com/in", "events": ["*"]}
    refused = dispatcher_client.post(WEBHOOKS, named, format="json")
    numeric = {"url": f"https://{PUBLIC}/in", "events": ["*"]}
    accepted = dispatcher_client.post(WEBHOOKS, numeric, format="json")

    assert refused.status_code == 400
    assert UNRESOLVED in refused.json()["errors"][0]["detail"]
    assert accepted.status_code == 201, accepted.content
