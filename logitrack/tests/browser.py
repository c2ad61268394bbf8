"""Pages people see, tested in Chromium (Debian's ``/usr/bin/chromium``) with Playwright.

A pytest plugin (``pytest_plugins`` in the root ``conftest.py``), so any app's tests can
use its fixtures:

- ``demo_server`` (session): Gunicorn as production runs it (``DJANGO_DEBUG=0``,
  ``gunicorn.conf.py``, static files collected and served by WhiteNoise) on 127.0.0.1, on
  a database of its own with ``seed_demo``'s data: a PostgreSQL database next to the test
  database when the tests run on PostgreSQL (and a private ``redis-server`` when they run
  with Redis), else an SQLite file. The docs are public on it (``API_DOCS_PUBLIC=1``).
  The test process never touches that database: Playwright's event loop and Django's
  ORM do not mix.
- ``open_page(width=1280)``: a new Chromium page of that width, watched: every request
  to anything but 127.0.0.1 is aborted (so it never leaves the machine) and recorded,
  as are console errors, uncaught exceptions and answers of 400 or more. A test that
  made an outside request fails at teardown whatever it asserted.
- ``screenshot(page, name, full_page=True)``: a PNG in the artifacts folder
  (``$BROWSER_ARTIFACTS``, else a temporary folder named at the end of the run); a failed
  test leaves one of each page it opened.

``accessibility_problems(page)`` is the accessibility check for any page.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from logitrack import fuzz
from logitrack.fuzz import with_path
from logitrack.tests.liveserver import LOOPBACK, LiveServer, database_url, server_environment

if TYPE_CHECKING:  # imported at run time only where a browser starts
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = f"{CHROMIUM} is not installed (Debian package chromium)"
LOOPBACK_HOSTS = {LOOPBACK, "[::1]", "::1"}
# Chromium resolves no name at all, so even a request the route missed asks no DNS.
CHROMIUM_ARGS = [
    f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {LOOPBACK}",
    "--no-proxy-server",
    "--dns-prefetch-disable",
]
# Timeouts (milliseconds) for one navigation or wait: a page that takes longer is broken.
PAGE_TIMEOUT_MS = 15_000
# make fuzz's demo data set: enough for every page, seeded in a few seconds.
SEED_ARGS = [
    f"--vehicles={fuzz.SEED_VEHICLES}",
    f"--deliveries={fuzz.SEED_DELIVERIES}",
    f"--drivers={fuzz.SEED_DRIVERS}",
    "--no-progress",
]
SETUP_TIMEOUT = 180

_artifacts: list[Path] = []
_CALL_FAILED = pytest.StashKey[bool]()


def chromium_available() -> bool:
    return CHROMIUM.exists()


def browser_tests() -> list[pytest.MarkDecorator]:
    """``pytestmark`` for a module of browser tests: marked ``browser``, skipped without
    Chromium."""
    return [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason=NO_CHROMIUM)]


# The server ---------------------------------------------------------------------------


@dataclass
class DemoServer:
    server: LiveServer
    base_url: str

    def url(self, path: str) -> str:
        return self.base_url + path


def _collectstatic(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - manage.py with fixed arguments
            [sys.executable, "manage.py", "collectstatic", "--noinput"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def _seeded_database(env: dict[str, str]) -> Iterator[None]:
    """The server's database (``env["DATABASE_URL"]``), migrated and seeded; a PostgreSQL
    one is created first and dropped afterwards, as ``make fuzz`` does with its own."""
    url = env["DATABASE_URL"]
    if not url.startswith("postgres"):
        fuzz.manage(env, "migrate", "--noinput")
        fuzz.manage(env, "seed_demo", *SEED_ARGS)
        yield
        return
    parts = urlsplit(url)
    config = {
        "database": parts.path.lstrip("/"),
        "admin_database_url": parts._replace(path="/postgres").geturl(),
    }
    with fuzz.fresh_database(config, env):
        yield


def _server_env(work: Path, database: str, redis_url: str | None) -> dict[str, str]:
    env = server_environment(redis_url or "")
    if redis_url is None:  # the embedded defaults: local-memory cache, tasks in-process
        del env["REDIS_URL"], env["CELERY_BROKER_URL"]
    env.update(
        DATABASE_URL=database,
        STATIC_ROOT=str(work / "static"),
        API_DOCS_PUBLIC="1",
        # The browser asks for several files at once.
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
    )
    return env


@pytest.fixture(scope="session")
def _demo_redis(tmp_path_factory) -> Iterator[str | None]:
    """A private redis-server when the tests run with Redis, else ``None``."""
    if not os.environ.get("REDIS_URL") or shutil.which("redis-server") is None:
        yield None
        return
    from conftest import RedisServer

    redis = RedisServer(tmp_path_factory.mktemp("browser-redis"))
    redis.start()
    yield redis.url
    redis.stop()


@pytest.fixture(scope="session")
def demo_server(django_db_setup, _demo_redis, tmp_path_factory) -> Iterator[DemoServer]:
    if not chromium_available():
        pytest.skip(NO_CHROMIUM)
    work = tmp_path_factory.mktemp("browser-server")
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Next to the test database, on the same server.
        database = with_path(database_url(), f"/{settings.DATABASES['default']['NAME']}_browser")
    else:
        database = f"sqlite:///{work / 'demo.sqlite3'}"
    env = _server_env(work, database, _demo_redis)
    collecting = _collectstatic(env, work / "collectstatic.log")
    with _seeded_database(env):
        if collecting.wait(timeout=SETUP_TIMEOUT) != 0:
            raise RuntimeError((work / "collectstatic.log").read_text())
        server = LiveServer("browser", _demo_redis or "", work, env=env)
        try:
            server.wait_until_live()
            yield DemoServer(server, f"http://{LOOPBACK}:{server.port}")
        finally:
            server.stop()
            server.wait_stopped()


# The browser --------------------------------------------------------------------------


@dataclass
class WatchedPage:
    """A page and what it did that a person would call broken."""

    page: "Page"
    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)

    def problems(self, *, expected_answers: tuple[str, ...] = ()) -> list[str]:
        """Everything recorded, but the answers a test provoked on purpose
        (``"400 http://127.0.0.1:…/path/"``) and the console line Chromium logs for each."""
        expected_console = {_failed_to_load(answer) for answer in expected_answers}
        return (
            [f"outside request: {url}" for url in self.outside_requests]
            + [
                f"console error: {text}"
                for text in self.console_errors
                if text not in expected_console
            ]
            + [
                f"failed answer: {text}"
                for text in self.failed_responses
                if text not in expected_answers
            ]
        )


def _failed_to_load(answer: str) -> str:
    """What Chromium logs for an answer of 400 or more (``answer``: "status url")."""
    status, url = answer.split(" ", 1)
    reason = HTTPStatus(int(status)).phrase
    return (
        "Failed to load resource: the server responded with a status of "
        f"{status} ({reason}) ({url})"
    )


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOOPBACK_HOSTS


def _watch(context, page) -> WatchedPage:
    watched = WatchedPage(page)

    def route(route) -> None:
        if is_loopback(route.request.url):
            route.continue_()
        else:
            watched.outside_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def console(message) -> None:
        if message.type == "error":
            watched.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def response(answer) -> None:
        if answer.status >= 400:
            watched.failed_responses.append(f"{answer.status} {answer.url}")

    context.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: watched.console_errors.append(f"uncaught: {error}"))
    page.on("response", response)
    return watched


@pytest.fixture(scope="module")
def chromium() -> Iterator["Browser"]:
    """One Chromium for a module of tests (Playwright's event loop ends with it)."""
    if not chromium_available():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def open_page(chromium, request, screenshot) -> Iterator[Callable[..., WatchedPage]]:
    """``open_page(width=1280, height=900)``: a watched page in a context of its own.
    A test that fails leaves a screenshot of each of its pages as they were."""
    opened: list[tuple[BrowserContext, WatchedPage]] = []

    def open_(width: int = 1280, height: int = 900) -> WatchedPage:
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        page = context.new_page()
        watched = _watch(context, page)
        opened.append((context, watched))
        return watched

    yield open_
    for number, (context, watched) in enumerate(opened, start=1):
        if request.node.stash.get(_CALL_FAILED, False):
            screenshot(watched.page, f"failed-{number}", full_page=False)
        context.close()
    outside = [url for _, watched in opened for url in watched.outside_requests]
    assert not outside, f"requests to outside 127.0.0.1 (aborted): {outside}"


def artifacts_dir(tmp_path_factory) -> Path:
    if not _artifacts:
        configured = os.environ.get("BROWSER_ARTIFACTS")
        if configured:
            path = Path(configured)
            path.mkdir(parents=True, exist_ok=True)
        else:
            path = tmp_path_factory.mktemp("browser-artifacts")
        _artifacts.append(path)
    return _artifacts[0]


@pytest.fixture
def screenshot(request, tmp_path_factory) -> Callable[..., Path]:
    """``screenshot(page, name, full_page=True)``: a PNG named after the test and
    ``name``, of the whole page or of what the viewport shows."""

    def take(page, name: str, *, full_page: bool = True) -> Path:
        test = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")
        path = artifacts_dir(tmp_path_factory) / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def pytest_terminal_summary(terminalreporter) -> None:
    if _artifacts:
        terminalreporter.write_line(f"Browser screenshots: {_artifacts[0]}")
