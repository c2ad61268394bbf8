import shutil
import socket

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from logitrack import breaker, throttling
from users.tests.factories import UserFactory

# Chromium, a live server with demo data, screenshots: logitrack/tests/browser.py.
pytest_plugins = ["logitrack.tests.browser"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters, cached reads and Redis failures seen never leak from one test
    into another."""
    breaker.reset()
    throttling.reset_local_counts()
    cache.clear()
    yield
    cache.clear()
    throttling.reset_local_counts()
    breaker.reset()


@pytest.fixture(autouse=True)
def resolver(monkeypatch):
    """No test asks DNS: ``resolver[name] = [addresses]`` says what a name resolves
    to; a numeric host (``127.1``, ``0x7f000001``, ``[::1]``) is read as the system reads
    it, without a query; any other name does not resolve."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002, PLR0917
        if host in names and not flags & socket.AI_NUMERICHOST:
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, port, 0, 0) if ":" in address else (address, port),
                )
                for address in names[host]
            ]
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """Files a test makes (reports, uploads) never land in the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers are slow by design; tests check behaviour, not hashing cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _lockout_out_of_reach(request, settings):
    """The sign-in lockout (django-axes) counts in every test, but only tests marked
    ``lockout`` meet its limit: others sign in wrongly more often than it allows (the
    throttle tests) and must see what they test."""
    if request.node.get_closest_marker("lockout") is None:
        settings.AXES_FAILURE_LIMIT = 1000


@pytest.fixture
def trusted_proxies(settings):
    """``trusted_proxies(n)``: configured as ``TRUSTED_PROXY_COUNT=n`` configures it."""

    def use(count: int) -> None:
        settings.TRUSTED_PROXY_COUNT = count
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return use


@pytest.fixture
def admin_user(db):
    return UserFactory(admin=True, username="admin")


@pytest.fixture
def dispatcher(db):
    return UserFactory(dispatcher=True, username="dispatcher")


@pytest.fixture
def driver(db):
    return UserFactory(username="driver")


@pytest.fixture
def other_driver(db):
    return UserFactory(username="other-driver")


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client signed in as ``user`` (authentication forced;
    the JWT flow itself is tested in ``users/tests/test_auth.py``)."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def dispatcher_client(client_for, dispatcher):
    return client_for(dispatcher)


@pytest.fixture
def driver_client(client_for, driver):
    return client_for(driver)


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Tasks run in-process unless a test asks for a real worker (``real_worker``)."""
    from logitrack.celery import app

    if request.node.get_closest_marker("real_worker"):
        yield
        return
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


class RedisServer:
    """A private ``redis-server`` on a free port, which a test may stop and start again."""

    def __init__(self, tmp_path):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.dir = tmp_path
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import subprocess
        import time

        import redis

        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path):
    """A real Redis of the test's own (skipped where ``redis-server`` is not installed)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def reset_broker_connections() -> None:
    """Drops the Celery app's pooled broker connections (after a broker change)."""
    from kombu import pools

    from logitrack.celery import app

    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu keeps producer pools per broker URL, closed ones too


@pytest.fixture
def broker(redis_server):
    """Tasks go to a real Redis broker (the test's own ``redis_server``), not in-process."""
    from logitrack.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = redis_server.url
    app.conf.task_always_eager = False
    reset_broker_connections()
    yield redis_server
    app.conf.broker_url, app.conf.task_always_eager = saved
    reset_broker_connections()


@pytest.fixture
def dead_broker():
    """Tasks go to a broker address where nothing listens."""
    from logitrack.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # the discard port: connection refused
    app.conf.task_always_eager = False
    reset_broker_connections()
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    reset_broker_connections()
