"""A password change (your own, or set by staff, or in the admin) and a deactivation
revoke what was issued before them: access and refresh tokens alike."""

import pytest
from django.core.management import call_command

from services import users as user_services
from users.tests.factories import TEST_PASSWORD, UserFactory
from users.tests.test_auth import ME_URL, REFRESH_URL, bearer, sign_in, tokens_for

PASSWORD_URL = "/api/v1/auth/password/"
NEW_PASSWORD = "another-long-passphrase-42"

pytestmark = pytest.mark.django_db


def assert_revoked(tokens: dict) -> None:
    """The old access token is refused, and the old refresh token gives nothing."""
    me = bearer(tokens["access"]).get(ME_URL)
    assert me.status_code == 401, me.json()
    assert [e["code"] for e in me.json()["errors"]] == ["token_not_valid"]
    refreshed = bearer("").post(REFRESH_URL, {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401, refreshed.json()
    assert refreshed.json()["errors"][0]["code"] == "token_not_valid"


def change(tokens: dict, old=TEST_PASSWORD, new=NEW_PASSWORD):
    return bearer(tokens["access"]).post(PASSWORD_URL, {"old_password": old, "new_password": new})


def test_changing_your_password_revokes_old_tokens_and_answers_new_ones(driver):
    this_session, other_session = tokens_for(driver), tokens_for(driver)

    response = change(this_session)

    assert response.status_code == 200, response.json()
    fresh = response.json()
    assert set(fresh) == {"access", "refresh"}
    assert_revoked(this_session)
    assert_revoked(other_session)
    assert bearer(fresh["access"]).get(ME_URL).json()["username"] == driver.username
    rotated = bearer("").post(REFRESH_URL, {"refresh": fresh["refresh"]})
    assert rotated.status_code == 200
    assert sign_in(driver).status_code == 401
    assert sign_in(driver, NEW_PASSWORD).status_code == 200


def test_a_wrong_current_password_changes_nothing(driver):
    tokens = tokens_for(driver)

    response = change(tokens, old="not-my-password")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "wrong_password",
            "detail": "The current password is not correct.",
            "attr": "old_password",
        }
    ]
    assert bearer(tokens["access"]).get(ME_URL).status_code == 200
    assert sign_in(driver).status_code == 200


@pytest.mark.parametrize(
    ("new", "code"),
    [
        ("short", "password_too_short"),
        ("password123", "password_too_common"),
        ("83649201745", "password_entirely_numeric"),
    ],
)
def test_a_weak_new_password_answers_the_rules_code(driver, new, code):
    tokens = tokens_for(driver)

    response = change(tokens, new=new)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert code in {e["code"] for e in errors}
    assert {e["attr"] for e in errors} == {"new_password"}
    assert sign_in(driver).status_code == 200


def test_changing_a_password_needs_a_signed_in_user(anon_client):
    response = anon_client.post(
        PASSWORD_URL, {"old_password": TEST_PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 401


def test_a_password_set_by_staff_revokes_the_users_tokens(driver, dispatcher):
    tokens = tokens_for(driver)
    staff = tokens_for(dispatcher)

    response = bearer(staff["access"]).patch(
        f"/api/v1/users/{driver.pk}/", {"password": NEW_PASSWORD}
    )

    assert response.status_code == 200, response.json()
    assert_revoked(tokens)
    assert sign_in(driver, NEW_PASSWORD).status_code == 200


def test_a_password_reset_outside_the_api_revokes_the_users_tokens(driver):
    """``changepassword``, the admin's password form and a shell all set the hash the
    tokens are checked against, without the API's services."""
    tokens = tokens_for(driver)

    user = type(driver).objects.get(pk=driver.pk)
    user.set_password(NEW_PASSWORD)
    user.save()

    assert_revoked(tokens)


def test_deactivation_blacklists_refresh_tokens_for_good(driver, admin_user):
    tokens = tokens_for(driver)

    user_services.user_update(user=driver, actor=admin_user, is_active=False)
    assert_revoked(tokens)
    user_services.user_update(user=driver, actor=admin_user, is_active=True)

    # Active again: the old refresh token stays dead, a new sign-in works.
    refreshed = bearer("").post(REFRESH_URL, {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401
    assert sign_in(driver).status_code == 200


def test_other_users_tokens_are_untouched(driver, other_driver):
    mine, theirs = tokens_for(driver), tokens_for(other_driver)

    assert change(mine).status_code == 200

    assert bearer(theirs["access"]).get(ME_URL).status_code == 200
    assert bearer("").post(REFRESH_URL, {"refresh": theirs["refresh"]}).status_code == 200


def test_flushing_expired_tokens_keeps_working(driver):
    tokens_for(driver)
    assert change(tokens_for(driver)).status_code == 200

    call_command("flushexpiredtokens")

    assert UserFactory(username="someone-else").check_password(TEST_PASSWORD)
