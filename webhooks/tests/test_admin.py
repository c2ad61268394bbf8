import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from services import webhooks as webhook_services
from webhooks.models import WebhookAttempt, WebhookEndpoint

pytestmark = pytest.mark.django_db

NO_ATTEMPT_ROWS = {"attempts-TOTAL_FORMS": "0", "attempts-INITIAL_FORMS": "0"}


@pytest.fixture
def staff_client(client, dispatcher):
    client.force_login(dispatcher)
    return client


def messages_of(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


def test_adding_an_endpoint_shows_its_secret_once(staff_client, resolver):
    resolver["hooks.example.com"] = ["93.184.216.34"]
    form = {
        "url": "https://hooks.example.com/in",
        "events": ["delivery.created", "vehicle.maintenance_started"],
        "description": "ERP",
        "is_active": "on",
        **NO_ATTEMPT_ROWS,
    }

    response = staff_client.post(reverse("admin:webhooks_webhookendpoint_add"), form, follow=True)

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["delivery.created", "vehicle.maintenance_started"]
    assert endpoint.secret in response.content.decode()
    page = staff_client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in page.content.decode()


def test_a_url_reaching_inside_is_refused_on_the_form(staff_client):
    form = {"url": "https://10.0.0.1/", "events": ["*"], **NO_ATTEMPT_ROWS}

    response = staff_client.post(reverse("admin:webhooks_webhookendpoint_add"), form)

    assert response.status_code == 200
    assert "cannot receive webhooks" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotating_from_the_list_shows_the_new_secret(staff_client, resolver, dispatcher):
    resolver["hooks.example.com"] = ["93.184.216.34"]
    endpoint = webhook_services.webhook_endpoint_create(
        actor=dispatcher, url="https://hooks.example.com/", events=["*"]
    )

    response = staff_client.post(
        reverse("admin:webhooks_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )

    new_secret = WebhookEndpoint.objects.get().secret
    assert new_secret != endpoint.secret
    assert any(new_secret in text for text in messages_of(response))


def test_attempts_are_listed_under_their_endpoint_and_read_only(
    staff_client, endpoint_for, httpserver, dispatcher
):
    endpoint = endpoint_for()
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    message = webhook_services.webhook_ping(endpoint=endpoint, actor=dispatcher)
    webhook_services.webhook_message_send(message_id=message.pk)
    attempt = WebhookAttempt.objects.get()

    page = staff_client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    log = staff_client.get(reverse("admin:webhooks_webhookattempt_changelist"))

    assert "The receiver answered 500." in page.content.decode()
    assert "The receiver answered 500." in log.content.decode()
    assert (
        staff_client.post(
            reverse("admin:webhooks_webhookattempt_delete", args=[attempt.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
