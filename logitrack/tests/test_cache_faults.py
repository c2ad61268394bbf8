"""A stalled Redis, seen through two real server processes.

Redis is both the cache and the Celery broker. These tests start a redis-server of their
own and two Gunicorn processes of the application (one worker each, production settings,
sharing the test database and that Redis), then stall Redis the way a long fork, a
swapped-out host or a network hiccup does: the process is paused (SIGSTOP), so
connections open but nothing answers, and later resumed (SIGCONT).

They prove what a user would notice:

- Changes made while Redis stalls are seen by every server process soon after it comes
  back: a deactivated account is refused, a demoted dispatcher loses staff rights, an
  edited vehicle shows its new values (``FRESH_WITHIN`` seconds after the resume). Without
  any fault the same changes are seen at once, so the check cannot pass by accident.
- While Redis stalls, the API still answers quickly (each kind of request with a median
  under ``MEDIAN_LIMIT``), readiness says the cache is down within ``READY_LIMIT``, and
  nothing written is lost: every delivery created or assigned is stored with its events,
  whose e-mails wait, unsent, for the notification sweep.

No Celery worker runs: what the servers enqueue is never consumed here.
"""

import datetime as dt
import os
import signal
import statistics
import string
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from logitrack.tests.liveserver import LiveServer, Reply, gunicorn_installed
from services.notifications import notifications_sweep
from users.models import User
from users.tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the server processes share the test database, which needs PostgreSQL",
    ),
    pytest.mark.skipif(not gunicorn_installed(), reason="gunicorn is not installed"),
]

# The acceptance criteria.
FRESH_WITHIN = 10.0  # seconds after Redis resumes
MEDIAN_LIMIT = 0.3  # seconds per request while Redis stalls
READY_LIMIT = 1.0  # seconds for /health/ready/ to say the cache is down
READY_TIMEOUT = 2 * READY_LIMIT

# How long Redis stays paused in all, at least: a stall of a few seconds.
STALL_SECONDS = 3.0
# Polling for the changes stops here, well past FRESH_WITHIN, and fails with what it saw.
GIVE_UP_AFTER = 15.0
POLL_INTERVAL = 0.25
POLL_REQUEST_TIMEOUT = 5.0
WARM_UP_READS = 3
SAMPLES = 7

ME = "/api/v1/auth/me/"
USERS = "/api/v1/users/"
VEHICLES = "/api/v1/vehicles/"
DELIVERIES = "/api/v1/deliveries/"
READY = "/health/ready/"
OLD_MAKE = "Ford"
NEW_MAKE = "Renamed"


def _access_token(user: User) -> str:
    """The access token sign-in would give ``user``: the servers share the test run's
    signing key (sign-in over HTTP would cost a deliberately slow password hash each)."""
    return str(RefreshToken.for_user(user).access_token)


@pytest.fixture
def private_redis(redis_server):
    """The test's own redis-server, always running again after the test."""
    yield redis_server
    if redis_server.process is not None:
        os.kill(redis_server.process.pid, signal.SIGCONT)


@contextmanager
def _stalled(private_redis):
    """Redis paused: it accepts connections (the kernel does) but answers nothing."""
    os.kill(private_redis.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)


@pytest.fixture
def live_servers(transactional_db, private_redis, tmp_path):
    """``live_servers(count)``: that many Gunicorn processes, each with one worker, on
    the committed test data and the test's Redis. Stopped before the test database is
    emptied (they hold none of its connections between requests)."""
    started: list[LiveServer] = []

    def start(count: int) -> list[LiveServer]:
        names = string.ascii_uppercase[:count]
        servers = [LiveServer(name, private_redis.url, tmp_path) for name in names]
        started.extend(servers)
        for server in servers:
            server.wait_until_live()
        return servers

    yield start
    for server in started:
        server.stop()
    for server in started:
        server.wait_stopped()


def _timed(server: LiveServer, method: str, path: str, **kwargs) -> Reply:
    """The reply, or a ``Reply`` of status 0 when the client gave up waiting for it."""
    started = time.monotonic()
    try:
        return server.request(method, path, **kwargs)
    except TimeoutError:
        return Reply(0, None, time.monotonic() - started)


# --- Accounts and a vehicle changed while the servers hold them -----------------------


@dataclass
class StaffScene:
    admin: User
    driver: User
    dispatcher: User
    vehicle_path: str
    admin_token: str
    driver_token: str
    dispatcher_token: str


def _staff_scene(servers: list[LiveServer]) -> StaffScene:
    admin, driver = UserFactory.create(admin=True), UserFactory.create()
    dispatcher = UserFactory.create(dispatcher=True)  # owns no delivery: it may be demoted
    vehicle = VehicleFactory.create(make=OLD_MAKE)
    scene = StaffScene(
        admin=admin,
        driver=driver,
        dispatcher=dispatcher,
        vehicle_path=f"{VEHICLES}{vehicle.pk}/",
        admin_token=_access_token(admin),
        driver_token=_access_token(driver),
        dispatcher_token=_access_token(dispatcher),
    )
    # Every process has read (and so may keep) each account and the vehicle as they are.
    for server in servers:
        for _ in range(WARM_UP_READS):
            assert server.request("GET", ME, token=scene.driver_token).status == 200
            assert server.request("GET", ME, token=scene.admin_token).status == 200
            vehicle_reply = server.request("GET", scene.vehicle_path, token=scene.driver_token)
            assert (vehicle_reply.status, vehicle_reply.body["make"]) == (200, OLD_MAKE)
            assert server.request("GET", USERS, token=scene.dispatcher_token).status == 200
    return scene


def _change(server: LiveServer, scene: StaffScene) -> dict[str, Reply]:
    """Deactivates the driver, demotes the dispatcher (who owns no delivery) and renames
    the vehicle, as an admin on ``server``."""
    token = scene.admin_token
    replies = {
        "deactivate": _timed(
            server, "PATCH", f"{USERS}{scene.driver.pk}/", token=token, data={"is_active": False}
        ),
        "demote": _timed(
            server, "PATCH", f"{USERS}{scene.dispatcher.pk}/", token=token, data={"role": "driver"}
        ),
        "rename": _timed(server, "PATCH", scene.vehicle_path, token=token, data={"make": NEW_MAKE}),
    }
    refused = {name: f"{r}: {r.body}" for name, r in replies.items() if r.status != 200}
    assert not refused, f"the admin's changes were not all made: {refused}"
    return replies


def _seen_checks(scene: StaffScene) -> dict[str, Callable[[LiveServer], bool]]:
    """What a user notices of each change, asked of one server."""

    def status(server, path, token) -> int:
        return _timed(server, "GET", path, token=token, timeout=POLL_REQUEST_TIMEOUT).status

    def renamed(server) -> bool:
        reply = _timed(
            server, "GET", scene.vehicle_path, token=scene.admin_token, timeout=POLL_REQUEST_TIMEOUT
        )
        return reply.status == 200 and reply.body["make"] == NEW_MAKE

    return {
        "driver refused": lambda server: status(server, ME, scene.driver_token) == 401,
        "dispatcher not staff": lambda server: status(server, USERS, scene.dispatcher_token) == 403,
        "vehicle renamed": renamed,
    }


def _wait_until_seen(servers, checks, since: float) -> dict[str, float | None]:
    """Seconds from ``since`` until each check held on each server (``None``: not
    within ``GIVE_UP_AFTER``)."""
    delays: dict[str, float | None] = {
        f"{server.name}: {name}": None for server in servers for name in checks
    }
    while time.monotonic() - since < GIVE_UP_AFTER:
        for server in servers:
            for name, check in checks.items():
                key = f"{server.name}: {name}"
                if delays[key] is None and check(server):
                    delays[key] = time.monotonic() - since
        if None not in delays.values():
            break
        time.sleep(POLL_INTERVAL)
    return delays


def _describe(delays: dict[str, float | None]) -> str:
    def delay_text(delay: float | None) -> str:
        return f"not within {GIVE_UP_AFTER:.0f}s" if delay is None else f"{delay:.2f}s"

    return ", ".join(f"{key} {delay_text(delay)}" for key, delay in delays.items())


def test_without_a_fault_changes_are_seen_at_once_in_both_processes(live_servers):
    """The same changes with Redis up are seen on the next request in both processes:
    the checks below can tell a fresh answer from a stale one."""
    servers = live_servers(2)
    scene = _staff_scene(servers)

    _change(servers[0], scene)

    seen = {
        f"{server.name}: {name}": check(server)
        for server in servers
        for name, check in _seen_checks(scene).items()
    }
    assert all(seen.values()), f"not seen on the first request after the change: {seen}"


def test_changes_made_while_redis_stalls_are_seen_in_both_processes_soon_after(
    private_redis, live_servers
):
    """Pause Redis, deactivate a user, demote a dispatcher and edit a vehicle, resume it:
    within FRESH_WITHIN seconds the account is refused, the dispatcher is no longer
    staff and the vehicle is fresh in both server processes."""
    servers = live_servers(2)
    scene = _staff_scene(servers)

    with _stalled(private_redis):
        paused_at = time.monotonic()
        writes = _change(servers[0], scene)
        time.sleep(max(0.0, STALL_SECONDS - (time.monotonic() - paused_at)))
    resumed_at = time.monotonic()
    delays = _wait_until_seen(servers, _seen_checks(scene), since=resumed_at)

    figures = (
        f"stalled {resumed_at - paused_at:.1f}s; writes during the stall: "
        + ", ".join(f"{name} {reply}" for name, reply in writes.items())
        + f"; seen after the resume: {_describe(delays)}"
    )
    print(figures)
    late = {key: delay for key, delay in delays.items() if delay is None or delay > FRESH_WITHIN}
    assert not late, f"not seen within {FRESH_WITHIN:.0f}s of the resume: {figures}"


# --- Requests while Redis stalls -------------------------------------------------------


def _delivery_body(n: int) -> dict:
    return {
        "origin_address": "Depot 1",
        "destination_address": f"Main Street {n}",
        "recipient_name": f"Recipient {n}",
        "recipient_email": f"recipient{n}@example.com",
        "weight_kg": "5.00",
        "scheduled_for": (timezone.now() + dt.timedelta(days=1)).isoformat(),
    }


def _sample_while_stalled(servers, requests, token) -> tuple[dict[str, list[Reply]], list[str]]:
    """SAMPLES of each kind of request, alternating between the servers; once one kind's
    median is certainly over MEDIAN_LIMIT, one sample of every other kind is enough."""
    replies: dict[str, list[Reply]] = {kind: [] for kind in requests}
    wrong: list[str] = []
    failing = False
    for kind, make in requests.items():
        for n in range(SAMPLES):
            if failing and replies[kind]:
                break
            server = servers[n % len(servers)]
            method, path, data, expected = make(n)
            reply = _timed(server, method, path, token=token, data=data)
            replies[kind].append(reply)
            if reply.status != expected:
                wrong.append(f"{kind} #{n} on {server}: {reply.status} {reply.body}")
            if sum(r.seconds >= MEDIAN_LIMIT for r in replies[kind]) > SAMPLES // 2:
                failing = True  # the median of SAMPLES is over the limit, whatever follows
    return replies, wrong


def _assert_nothing_lost(replies, to_assign, vehicle, driver, mailoutbox) -> None:
    """Each change is stored with its one event, its e-mail not yet sent; the sweep
    sends each once."""
    created = [reply.body["id"] for reply in replies["create"]]
    assigned = [delivery.pk for delivery in to_assign[: len(replies["assign"])]]
    stored = dict(Delivery.objects.filter(pk__in=created + assigned).values_list("pk", "status"))
    assert stored == {
        **dict.fromkeys(created, DeliveryStatus.PENDING),
        **dict.fromkeys(assigned, DeliveryStatus.ASSIGNED),
    }
    crewed = Delivery.objects.filter(pk__in=assigned, vehicle=vehicle, driver=driver)
    assert crewed.count() == len(assigned)
    events = DeliveryEvent.objects.filter(delivery_id__in=created + assigned)
    assert sorted(events.values_list("delivery_id", "from_status", "to_status")) == sorted(
        [(pk, "", DeliveryStatus.PENDING) for pk in created]
        + [(pk, DeliveryStatus.PENDING, DeliveryStatus.ASSIGNED) for pk in assigned]
    )
    assert not events.filter(notified_at__isnull=False).exists(), "sent with no worker running"

    assert notifications_sweep(older_than=dt.timedelta(0)) == len(created) + len(assigned)
    assert not events.filter(notified_at__isnull=True).exists()
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        Delivery.objects.get(pk=event.delivery_id).recipient_email for event in events
    )


def test_a_stalled_redis_slows_nothing_down_and_loses_nothing(
    private_redis, live_servers, mailoutbox
):
    """With Redis paused: the list, a detail, a create and an assign (and the signed-in
    account) answer with a median under MEDIAN_LIMIT, /health/ready/ answers 503 within
    READY_LIMIT, and nothing is lost: the changes are stored with their events, whose
    e-mails the sweep sends once Redis is back."""
    servers = live_servers(2)
    dispatcher, driver = UserFactory(dispatcher=True), UserFactory()
    vehicle = VehicleFactory()  # carries 1000 kg: every assignment below fits
    shown = DeliveryFactory()
    to_assign = [DeliveryFactory(weight_kg="10.00") for _ in range(SAMPLES)]
    token = _access_token(dispatcher)
    assignment = {"vehicle_id": vehicle.pk, "driver_id": driver.pk}
    # Reads first, then writes; each kind's samples alternate between the two processes,
    # as behind a load balancer.
    requests = {
        "me": lambda n: ("GET", ME, None, 200),
        "detail": lambda n: ("GET", f"{DELIVERIES}{shown.pk}/", None, 200),
        "list": lambda n: ("GET", DELIVERIES, None, 200),
        "create": lambda n: ("POST", DELIVERIES, _delivery_body(n), 201),
        "assign": lambda n: ("POST", f"{DELIVERIES}{to_assign[n].pk}/assign/", assignment, 200),
    }
    # The processes have served these with Redis up, as they would have in production.
    for server in servers:
        for path in (ME, f"{DELIVERIES}{shown.pk}/", DELIVERIES):
            assert server.request("GET", path, token=token).status == 200

    with _stalled(private_redis):
        replies, wrong = _sample_while_stalled(servers, requests, token)
        # An answer after READY_LIMIT fails anyway; waiting for it would only be slower.
        ready = _timed(servers[0], "GET", READY, timeout=READY_TIMEOUT)

    medians = {kind: statistics.median(r.seconds for r in taken) for kind, taken in replies.items()}
    figures = (
        "medians while Redis stalls: "
        + ", ".join(
            f"{kind} {medians[kind]:.2f}s (max {max(r.seconds for r in replies[kind]):.2f}s, "
            f"{len(replies[kind])} taken)"
            for kind in replies
        )
        + f"; {READY} {ready}"
        + (f": {ready.body}" if ready.status else "")
    )
    print(figures)
    assert not wrong, f"wrong answers while Redis stalls: {wrong}"

    _assert_nothing_lost(replies, to_assign, vehicle, driver, mailoutbox)

    slow = {kind: f"{median:.2f}s" for kind, median in medians.items() if median >= MEDIAN_LIMIT}
    assert not slow, f"medians not under {MEDIAN_LIMIT}s: {slow}; {figures}"
    ready_report = ready.body if isinstance(ready.body, dict) else {}
    assert (ready.status, ready_report.get("cache")) == (503, "down"), figures
    assert ready.seconds < READY_LIMIT, f"{READY} took {ready.seconds:.2f}s; {figures}"
