"""`.env.example` documents every variable the settings and Gunicorn read."""

import re
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[2]
READERS = re.compile(
    r"""(?:env_(?:str|bool|int|float|list)|_env_int|environ\.get)\(\s*["']([A-Z0-9_]+)["']"""
)


def _read_names(path: Path) -> set[str]:
    return set(READERS.findall(path.read_text()))


def test_every_variable_read_is_in_env_example():
    example = set(dotenv_values(ROOT / ".env.example"))
    read = _read_names(ROOT / "logitrack" / "settings.py") | _read_names(ROOT / "gunicorn.conf.py")
    assert read, "the pattern found no variable at all"
    assert read - example == set()


def test_every_variable_in_env_example_has_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[A-Z0-9_]+=", line):
            above = lines[number - 1] if number else ""
            assert above.startswith("#") or re.match(r"^[A-Z0-9_]+=", above), line
