"""Gunicorn processes of the application, started the way production starts them, and a
plain HTTP client for them (loopback only).

Each server gets its own port and one worker, so "two server processes" means exactly two
Python processes with their own memory; they share the test's database and a Redis.
"""

import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

LOOPBACK = "127.0.0.1"
# A request that takes longer than this is reported as a timeout rather than waited for.
REQUEST_TIMEOUT = 15.0
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# Rates no test comes near: throttling must not be what a test measures.
THROTTLE_RATES = {
    "THROTTLE_USER_RATE": "100000/min",
    "THROTTLE_ANON_RATE": "100000/min",
    "THROTTLE_AUTH_RATE": "1000/min",
}


# What a process needs from its environment to run at all.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")


def gunicorn_installed() -> bool:
    return importlib.util.find_spec("gunicorn") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The database this test run uses (the one pytest-django created), as a
    ``DATABASE_URL``."""
    db = connections["default"].settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or LOOPBACK
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def server_environment(redis_url: str) -> dict[str, str]:
    """Production settings (DEBUG off), pointed at the test database and ``redis_url``.

    Nothing else comes from the test's own environment, so the servers run on the code's
    defaults whatever the shell sets (a ``CACHE_TTL`` or ``LIST_CACHE`` there would change
    what the tests measure). The secrets are the test run's own, so a token one process
    signs is valid in all.
    """
    env: dict[str, str] = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        JWT_SIGNING_KEY=settings.JWT_SIGNING_KEY,
        DJANGO_ALLOWED_HOSTS=LOOPBACK,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url(),
        # One connection per request: nothing stays open when the test database is dropped.
        DB_CONN_MAX_AGE="0",
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="1",
        GUNICORN_MAX_REQUESTS="0",
        **THROTTLE_RATES,
    )
    return env


@dataclass
class Reply:
    status: int
    body: Any
    seconds: float

    def __str__(self) -> str:
        if self.status == 0:
            return f"no answer within {self.seconds:.2f}s"
        return f"{self.status} in {self.seconds:.2f}s"


class LiveServer:
    """``gunicorn -c gunicorn.conf.py logitrack.wsgi:application`` on a loopback port,
    with ``server_environment(redis_url)``, or ``env`` when given."""

    def __init__(self, name: str, redis_url: str, log_dir: Path, env: dict[str, str] | None = None):
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "gunicorn.conf.py",
                    # gunicorn.conf.py binds every interface; the command line wins.
                    "--bind",
                    f"{LOOPBACK}:{self.port}",
                    "logitrack.wsgi:application",
                ],
                cwd=settings.BASE_DIR,
                env=server_environment(redis_url) if env is None else env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def __repr__(self) -> str:
        return f"server {self.name}"

    def wait_until_live(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self} exited at start-up:\n{self.log_tail()}")
            try:
                if self.request("GET", "/health/live/", timeout=1).status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self} never answered /health/live/:\n{self.log_tail()}")
            time.sleep(0.1)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        data: dict | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Reply:
        """One request on a fresh connection; ``seconds`` is its wall time, as a client
        sees it. A timeout raises (``TimeoutError``)."""
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if data is not None:
            payload = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)
        started = time.monotonic()
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        seconds = time.monotonic() - started
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        return Reply(response.status, body, seconds)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Asks Gunicorn to quit; ``wait_stopped`` waits for it (stop several at once:
        each takes about a second)."""
        if self.process.poll() is None:
            # Quick shutdown: a graceful one would wait out requests the test gave up on.
            self.process.send_signal(signal.SIGQUIT)

    def wait_stopped(self) -> None:
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
