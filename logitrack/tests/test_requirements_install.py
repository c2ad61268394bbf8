"""requirements.txt alone is enough to run LogiTrack.

The image's virtualenv is built from requirements.txt only (see the Dockerfile), while
development and this test suite run with requirements-dev.txt on top. A package the code
imports but requirements.txt forgets would pass every other test and break only on a
deploy; this test builds a clean virtualenv the way the Dockerfile does and catches it here.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("LOGITRACK_SLOW_TESTS") != "1",
    reason="slow (installs requirements.txt into a new virtualenv); "
    "set LOGITRACK_SLOW_TESTS=1 to run it",
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = PROJECT_ROOT / "requirements.txt"

# Distributions whose import name is not their normalized name with "-" turned into "_".
IMPORT_NAMES = {
    "django-axes": "axes",
    "django-cors-headers": "corsheaders",
    "django-filter": "django_filters",
    "djangorestframework": "rest_framework",
    "djangorestframework-api-key": "rest_framework_api_key",
    "djangorestframework-simplejwt": "rest_framework_simplejwt",
    "pillow": "PIL",
    "psycopg2-binary": "psycopg2",
    "python-dotenv": "dotenv",
    "python-dateutil": "dateutil",
    "pyjwt": "jwt",
    "pyyaml": "yaml",
    "rpds-py": "rpds",
}

IMPORT_EACH = """
import importlib, sys, traceback

failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        traceback.print_exc()
        failed.append(name)
if failed:
    sys.exit("cannot import: " + ", ".join(failed))
"""


def required_distributions(requirements: Path) -> list[str]:
    """Normalized names of the distributions listed in a requirements file."""
    names = []
    for raw in requirements.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        assert match, f"unreadable line in {requirements.name}: {raw!r}"
        names.append(re.sub(r"[-_.]+", "-", match.group()).lower())
    return names


def import_name(distribution: str) -> str:
    return IMPORT_NAMES.get(distribution, distribution.replace("-", "_"))


def run(args: list[str], *, env: dict[str, str], cwd: Path) -> None:
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(args)} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )


def clean_environment() -> dict[str, str]:
    """This process's environment without anything that could lend the new virtualenv a
    package (PYTHONPATH, the active virtualenv) or point it at a database or cache server."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    env.update(
        DJANGO_DEBUG="1",
        DJANGO_SETTINGS_MODULE="logitrack.settings",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONNOUSERSITE="1",
    )
    return env


def test_requirements_txt_alone_installs_imports_and_passes_checks(tmp_path):
    distributions = required_distributions(REQUIREMENTS)
    assert "django" in distributions
    modules = sorted({import_name(name) for name in distributions})

    venv = tmp_path / "venv"
    python = str(venv / "bin" / "python")
    env = clean_environment()

    run([sys.executable, "-m", "venv", str(venv)], env=env, cwd=tmp_path)
    run(
        [python, "-m", "pip", "install", "--no-cache-dir", "-r", str(REQUIREMENTS)],
        env=env,
        cwd=tmp_path,
    )
    run([python, "-m", "pip", "check"], env=env, cwd=tmp_path)
    run([python, "-c", IMPORT_EACH, *modules], env=env, cwd=PROJECT_ROOT)
    run([python, "manage.py", "check"], env=env, cwd=PROJECT_ROOT)
