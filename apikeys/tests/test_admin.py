import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apikeys.admin import KEY_CREATED
from apikeys.models import ApiKey
from apikeys.tests.factories import issue_key

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:apikeys_apikey_changelist"


@pytest.fixture
def admin_site(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_creates_a_key_shown_once_by_message(admin_site):
    response = admin_site.post(
        reverse("admin:apikeys_apikey_add"), {"name": "Shop", "role": "readonly"}
    )

    api_key = ApiKey.objects.get()
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "is: " in str(m)]
    secret = message.split("is: ")[1].split(" ")[0]
    assert response.status_code == 302
    assert message == KEY_CREATED.format(name="Shop", key=secret)
    assert (api_key.role, api_key.user.username) == ("readonly", f"api-key:{api_key.prefix}")
    assert ApiKey.objects.is_valid(secret)
    change = reverse("admin:apikeys_apikey_change", args=[api_key.pk])
    assert secret in admin_site.get(change).content.decode()  # the message, this once
    assert secret not in admin_site.get(change).content.decode()


def test_the_list_shows_role_prefix_last_use_expiry_and_revocation(admin_site):
    issued = issue_key(name="Feed")

    page = admin_site.get(reverse(CHANGELIST)).content.decode()

    for column in ("Role", "Prefix", "Last used at", "Expires", "Revoked"):
        assert column in page
    assert issued.api_key.prefix in page
    assert issued.secret not in page


def test_an_admin_revokes_a_key(admin_site):
    issued = issue_key()

    admin_site.post(
        reverse("admin:apikeys_apikey_change", args=[issued.api_key.pk]), {"revoked": "on"}
    )

    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked
    assert issued.client().get("/api/v1/vehicles/").status_code == 401


def test_a_key_is_never_deleted_in_the_admin(admin_site):
    issued = issue_key()

    response = admin_site.post(
        reverse("admin:apikeys_apikey_delete", args=[issued.api_key.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert ApiKey.objects.count() == 1


def test_dispatchers_do_not_see_api_keys(client, dispatcher):
    client.force_login(dispatcher)

    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert "API keys" not in client.get(reverse("admin:index")).content.decode()


def test_a_keys_account_is_not_among_the_users_in_the_admin(client, dispatcher):
    issued = issue_key()
    client.force_login(dispatcher)
    account = issued.api_key.user

    users = client.get(reverse("admin:users_user_changelist")).content.decode()
    password = client.post(
        reverse("admin:auth_user_password_change", args=[account.pk]),
        {"password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )

    assert account.username not in users
    assert password.status_code == 404
    account.refresh_from_db()
    assert not account.has_usable_password()
