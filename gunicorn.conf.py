"""Gunicorn settings for LogiTrack (``gunicorn -c gunicorn.conf.py logitrack.wsgi:application``).

Environment variables read here (all optional):

- ``PORT``: TCP port to listen on, on every interface (default 8000).
- ``GUNICORN_WORKERS``: worker processes (default ``2 * CPUs + 1``, at most 8; CPUs are
  those the process may run on).
- ``GUNICORN_THREADS``: threads per worker (default 1: synchronous workers; above 1 Gunicorn
  uses threaded workers, which also keep idle client connections open).
- ``GUNICORN_TIMEOUT``: seconds a worker may spend on one request before it is killed and
  replaced (default 30).
- ``GUNICORN_GRACEFUL_TIMEOUT``: seconds workers get to finish their requests after a
  restart or stop signal (default 30; keep the container's stop grace period above it).
- ``GUNICORN_KEEPALIVE``: seconds an idle keep-alive connection stays open (default 5;
  threaded workers only).
- ``GUNICORN_MAX_REQUESTS``: requests after which a worker is replaced, which bounds the
  memory a slow leak can take (default 1000; 0 never replaces workers).
- ``GUNICORN_MAX_REQUESTS_JITTER``: random extra requests added to that limit per worker, so
  workers are not all replaced at once (default 100).
- ``TRUSTED_PROXY_COUNT``: reverse proxies in front of Gunicorn, as the application reads
  it (default 0). 0: no peer's ``X-Forwarded-*`` headers are trusted. Above 0: every
  peer's are (``forwarded_allow_ips = "*"``), because the only peer can then be the proxy:
  publish the proxy alone, never Gunicorn's port (the application's throttles rest on the
  same premise). Gunicorn's own ``FORWARDED_ALLOW_IPS`` has no effect; to narrow the trust
  to the proxy's address, pass ``--forwarded-allow-ips`` on the command line.
- ``GUNICORN_LOG_LEVEL``: Gunicorn's own log level (default ``info``).

Access and error logs go to standard output and standard error, for the container runtime.
"""

import os


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, not {raw!r}.") from exc


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # Not on Linux.
        return os.cpu_count() or 1


# Each worker holds a full copy of the application (and its database connection); past a
# handful per container, add containers rather than workers.
_MAX_DEFAULT_WORKERS = 8

# The container publishes this port; 0.0.0.0 is what makes it reachable from outside.
bind = f"0.0.0.0:{_env_int('PORT', 8000)}"  # noqa: S104
workers = _env_int("GUNICORN_WORKERS", min(2 * _cpu_count() + 1, _MAX_DEFAULT_WORKERS))
threads = _env_int("GUNICORN_THREADS", 1)

timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

_trusted_proxy_count = _env_int("TRUSTED_PROXY_COUNT", 0)
if _trusted_proxy_count < 0:
    raise ValueError("TRUSTED_PROXY_COUNT must be 0 or more.")
# Without a proxy, a scheme header can only come from the client itself. Behind one, the
# proxy's address is not known in advance (a container's changes with each restart).
forwarded_allow_ips = "*" if _trusted_proxy_count else ""

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Worker heartbeats go to memory rather than the container's copy-on-write filesystem,
# where a slow write can make the master kill a healthy worker.
_SHARED_MEMORY = "/dev/shm"  # noqa: S108 - Gunicorn makes private files of its own in it
if os.path.isdir(_SHARED_MEMORY):
    worker_tmp_dir = _SHARED_MEMORY
