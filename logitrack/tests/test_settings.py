"""Starting the project: with ``DJANGO_DEBUG`` off, secrets must come from the environment.

Each case starts a fresh interpreter, since settings are read once per process.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

SECRET_VARIABLES = ("DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "DJANGO_ALLOWED_HOSTS")
STARTUP = "import django; django.setup(); print('started')"
GOOD_VALUES = {
    "DJANGO_SECRET_KEY": "a-django-secret-key-used-only-by-this-test",
    "JWT_SIGNING_KEY": "a-different-jwt-signing-key-used-only-by-this-test",
    "DJANGO_ALLOWED_HOSTS": "logitrack.example.com",
}


def _dotenv_defines_secrets() -> bool:
    dotenv = django_settings.BASE_DIR / ".env"
    if not dotenv.exists():
        return False
    text = dotenv.read_text()
    return any(f"{name}=" in text for name in SECRET_VARIABLES)


def start(**variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "logitrack.settings"
    env.update(variables)
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", STARTUP],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess, *named: str) -> str:
    assert result.returncode != 0
    assert "started" not in result.stdout
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    for name in named:
        assert name in last_line
    return last_line


needs_no_dotenv_secrets = pytest.mark.skipif(
    _dotenv_defines_secrets(), reason="the local .env file provides the secrets"
)


@needs_no_dotenv_secrets
def test_without_debug_the_missing_secrets_are_named():
    result = start(DJANGO_DEBUG="0")

    assert_refused(result, *SECRET_VARIABLES)


def test_without_debug_empty_secrets_count_as_missing():
    result = start(DJANGO_DEBUG="0", **dict.fromkeys(SECRET_VARIABLES, ""))

    assert_refused(result, *SECRET_VARIABLES)


@pytest.mark.parametrize("missing", SECRET_VARIABLES)
def test_without_debug_each_secret_is_required(missing):
    present = {k: v for k, v in GOOD_VALUES.items() if k != missing}

    result = start(DJANGO_DEBUG="0", **{missing: ""}, **present)

    message = assert_refused(result, missing)
    for name in present:
        assert name not in message


def test_without_debug_starts_with_all_secrets():
    result = start(DJANGO_DEBUG="0", **GOOD_VALUES)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize("debug", ["0", "1"])
def test_jwt_signing_key_equal_to_secret_key_is_refused(debug):
    same = GOOD_VALUES["DJANGO_SECRET_KEY"]

    result = start(DJANGO_DEBUG=debug, **{**GOOD_VALUES, "JWT_SIGNING_KEY": same})

    assert_refused(result, "JWT_SIGNING_KEY")


@needs_no_dotenv_secrets
def test_with_debug_starts_without_secrets():
    result = start(DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_access_token_lifetime_above_15_minutes_is_refused():
    result = start(DJANGO_DEBUG="0", JWT_ACCESS_MINUTES="60", **GOOD_VALUES)

    assert_refused(result, "JWT_ACCESS_MINUTES")


def test_trusted_proxy_count_is_how_many_forwarded_addresses_the_throttles_skip():
    show = (
        "import django; django.setup(); from rest_framework.settings import api_settings; "
        "print('proxies', api_settings.NUM_PROXIES)"
    )
    env = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXY_COUNT"}

    def num_proxies(**variables: str) -> str:
        result = subprocess.run(  # noqa: S603 - fixed interpreter and code
            [sys.executable, "-c", show],
            cwd=django_settings.BASE_DIR,
            env={**env, "DJANGO_SETTINGS_MODULE": "logitrack.settings", **variables},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout.split()[-1]

    assert num_proxies() == "0"
    assert num_proxies(TRUSTED_PROXY_COUNT="2") == "2"


def test_a_negative_trusted_proxy_count_is_refused():
    result = start(DJANGO_DEBUG="0", TRUSTED_PROXY_COUNT="-1", **GOOD_VALUES)

    assert_refused(result, "TRUSTED_PROXY_COUNT")


def lockout_settings(**variables: str) -> list[str]:
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKOUT_")}
    result = subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", show],
        cwd=django_settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "logitrack.settings", **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.split()[-2:]


def test_the_sign_in_lockout_is_five_failures_for_fifteen_minutes_unless_configured():
    assert lockout_settings() == ["5", "900.0"]
    assert lockout_settings(LOCKOUT_FAILURES="3", LOCKOUT_MINUTES="60") == ["3", "3600.0"]


@pytest.mark.parametrize("variable", ["LOCKOUT_FAILURES", "LOCKOUT_MINUTES"])
def test_a_lockout_setting_below_one_is_refused(variable):
    result = start(DJANGO_DEBUG="0", **{variable: "0"}, **GOOD_VALUES)

    assert_refused(result, variable)
