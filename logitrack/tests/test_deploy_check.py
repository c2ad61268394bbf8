"""Production-shaped settings pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "Zq8v-4kT2pLw9xN3bR7yF1cH6mJ0sD5gK8uV2eA4iO7nB3tW9rX1zC6",
    "JWT_SIGNING_KEY": "jwt-Hs7Lq2Vx9Kp4Nw8Bz3Rm6Tc1Yf5Gd0Ju2Ea7Io4Ps9Dk3Wl",
    "DJANGO_ALLOWED_HOSTS": "api.logitrack.example",
    "CORS_ALLOWED_ORIGINS": "https://app.logitrack.example",
}


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_"))}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing():
    result = _run("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_would_catch_a_debug_deployment():
    """The check is not vacuous: DEBUG on fails it."""
    result = _run(
        "check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION_ENV, "DJANGO_DEBUG": "1"}
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr
