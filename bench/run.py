"""``make bench``: LogiTrack under Gunicorn, measured with wrk against a raw WSGI app.

For each data set size (``BENCH_SIZES``, default ``10k,1m``) it prepares a PostgreSQL
database of its own on DATABASE_URL's server (``<name>_bench_<size>``: created if
missing, migrated, seeded with ``seed_demo``, vacuumed and analysed; a second run reuses
it), starts four servers side by side (Gunicorn, 2 sync workers each, on 127.0.0.1) and
measures with wrk (``BENCH_CONNECTIONS`` 8 connections on ``BENCH_THREADS`` 2 threads),
in ``BENCH_ROUNDS`` (3) rounds of ``BENCH_DURATION`` (5) seconds per scenario after a
``BENCH_WARMUP`` (2 s), every scenario once per round, keeping the median round:

- the raw app (``bench/raw_app.py``): the first page of the delivery list and
  ``?status=in_transit``, with the planner's estimated count (the yardstick of the
  targets) and with ``COUNT(*)``;
- LogiTrack as in production (``gunicorn -c gunicorn.conf.py``, ``DJANGO_DEBUG=0``,
  Redis), signed in as the demo dispatcher, once with the list cache off
  (``LIST_CACHE=0``, Redis flushed before each measurement: "cold") and once on
  ("warm"): the list's first page, ``?status=in_transit`` and the page reached by
  following ``next`` 999 times; on the warm one a delivery's detail, the vehicles, the
  stats and, at the largest size, ``POST …/assign/`` (and ``unassign/``, to leave the
  data as it was) back to back while 4 connections read and 20 webhook endpoints take
  every event;
- at the largest size, a steady write stream (``WRITES_PER_S`` assign and unassign
  requests per second) while the first page is read as in the rounds, on the cold and
  the warm server: what the page cache is worth while writes flow; and
  ``POST …/bulk/`` with 500 deliveries, 3 times (deleted again afterwards);
- at the largest size, drivers' positions: ``POST /api/v1/locations/`` in batches of 500
  points, one after another, signed in as the demo driver ``driver1`` (points/s
  accepted), and the last known position of a driver and of a vehicle
  (``GET …/location/``, one request at a time) once ``LOCATION_POINTS`` (10 million)
  points are stored: any missing are added first with one ``INSERT … SELECT
  generate_series`` spread over the demo drivers and the last 20 days;
- SQL queries per request, in-process (``bench/probe.py``);
- the RSS of each Gunicorn worker after 10,000 list requests and, on 1M deliveries, the
  peak RSS of building a 100,000-row CSV report.

The machine is shared: before each measurement it waits (``BENCH_QUIET_TIMEOUT``
seconds at most, default 60) until other work takes less than ``BENCH_MAX_FOREIGN_CPU``
CPUs (0.25), and measures again (``BENCH_RETRIES`` times, default 1) when other work took
more than that during the measurement; each run records how much it was (``other CPU``).

It prints a table and the targets (PASS/MISS), and writes everything, with the machine
it ran on, to ``bench/results.json``. It never touches the database DATABASE_URL names,
and uses Redis database ``BENCH_REDIS_DB`` (default 12) of REDIS_URL's server, which it
flushes.
"""

import datetime as dt
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench import cpu, summary  # noqa: E402
from bench.summary import (  # noqa: E402
    COLD,
    DEEP,
    DETAIL,
    FIRST,
    LOGITRACK,
    RAW,
    RAW_EXACT,
    READS_DURING_ASSIGN,
    READS_DURING_WRITES,
    STATS,
    STATUS,
    VEHICLES,
    WARM,
)

BENCH_DIR = PROJECT_ROOT / "bench"
RESULTS_PATH = BENCH_DIR / "results.json"
WRK_SCRIPT = BENCH_DIR / "wrk.lua"
VENV_BIN = Path(sys.executable).parent

LIST_PATH = "/api/v1/deliveries/"
PAGE_SIZE = 50
FIRST_PATH = f"{LIST_PATH}?page_size={PAGE_SIZE}"
STATUS_PATH = f"{LIST_PATH}?status=in_transit&page_size={PAGE_SIZE}"
DEEP_PAGES = 1_000
WORKERS = 2
DISPATCHER = ("dispatcher", "logitrack-dispatcher")  # the demo data's dispatcher
ASSIGN_READERS = 4
WRITES_PER_S = summary.WRITES_PER_S
BULK_ITEMS = 500
WEBHOOK_ENDPOINTS = 20
BULK_CALLS = 3
MEMORY_REQUESTS = 10_000
REPORT_ROWS = 100_000
MEMORY_RUN_LIMIT_S = 900
DRIVER = ("driver1", "logitrack-driver")  # the demo data's first driver
LOCATION_POINTS = 10_000_000
LOCATION_BATCHES = 20  # of 500 points each
LOCATION_READS = 500  # requests per read scenario


# Gunicorn as configured by gunicorn.conf.py, for LogiTrack and the raw app alike: two
# sync workers, and the same two for the whole run (replacing them every ~1,000 requests
# would put worker start-ups into the figures).
SERVER_ENVIRONMENT = {
    "GUNICORN_WORKERS": str(WORKERS),
    "GUNICORN_THREADS": "1",
    "GUNICORN_MAX_REQUESTS": "0",
}


class BenchError(Exception):
    """A problem that stops the benchmark, with a message for the person running it."""


def log(message: str) -> None:
    print(message, flush=True)


# Configuration ----------------------------------------------------------------------


def _env_int(env, name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise BenchError(f"{name} must be a whole number, not {raw!r}.") from exc


def _env_float(env, name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError as exc:
        raise BenchError(f"{name} must be a number, not {raw!r}.") from exc


def bench_database_url(database_url: str, size: str) -> str:
    """DATABASE_URL with its database name replaced by ``<name>_bench_<size>``."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name:
        raise BenchError("DATABASE_URL names no database (postgres://user@host:5432/NAME).")
    bench_name = f"{name}_bench_{size}"
    return urlunsplit(parts._replace(path=f"/{bench_name}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def bench_redis_url(redis_url: str, db: int) -> str:
    """REDIS_URL pointing at Redis database ``db``, which must not be REDIS_URL's own."""
    parts = urlsplit(redis_url)
    own = parts.path.lstrip("/") or "0"
    if own == str(db):
        raise BenchError(
            f"REDIS_URL uses Redis database {db}, which the benchmark would flush; "
            "set BENCH_REDIS_DB to another number."
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


def load_config(env) -> dict:
    database_url = env.get("DATABASE_URL", "").strip()
    redis_url = env.get("REDIS_URL", "").strip()
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise BenchError(
            "make bench needs DATABASE_URL, a PostgreSQL URL whose server it may create "
            "databases on (it creates and uses <name>_bench_10k and <name>_bench_1m, never "
            "<name> itself), e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/logitrack "
            "REDIS_URL=redis://127.0.0.1:6379/0 make bench"
        )
    if not redis_url.startswith(("redis://", "rediss://")):
        raise BenchError(
            "make bench needs REDIS_URL (e.g. redis://127.0.0.1:6379/0): LogiTrack runs "
            "with Redis as in production. The benchmark uses a database of its own on that "
            "server (BENCH_REDIS_DB, default 12) and flushes it."
        )
    try:
        sizes = summary.parse_sizes(env.get("BENCH_SIZES"))
    except ValueError as exc:
        raise BenchError(f"BENCH_SIZES: {exc}") from exc
    config = {
        "database_url": database_url,
        "redis_url": bench_redis_url(redis_url, _env_int(env, "BENCH_REDIS_DB", 12)),
        "sizes": sizes,
        "duration": _env_int(env, "BENCH_DURATION", 5),
        "rounds": _env_int(env, "BENCH_ROUNDS", 3),
        "warmup": _env_int(env, "BENCH_WARMUP", 2),
        "connections": _env_int(env, "BENCH_CONNECTIONS", 8),
        "threads": _env_int(env, "BENCH_THREADS", 2),
        "vehicles": _env_int(env, "BENCH_VEHICLES", 2_000),
        "drivers": _env_int(env, "BENCH_DRIVERS", 500),
        "memory_requests": _env_int(env, "BENCH_MEMORY_REQUESTS", MEMORY_REQUESTS),
        "retries": _env_int(env, "BENCH_RETRIES", 1),
        "quiet_timeout": _env_int(env, "BENCH_QUIET_TIMEOUT", 60),
        "max_foreign_cpu": _env_float(env, "BENCH_MAX_FOREIGN_CPU", 0.25),
    }
    for size in sizes:
        if database_name(bench_database_url(database_url, size)) == database_name(database_url):
            raise BenchError("The benchmark database would be DATABASE_URL's own.")
    if min(config["duration"], config["rounds"], config["connections"], config["threads"]) < 1:
        raise BenchError(
            "BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS and BENCH_THREADS must be ≥ 1."
        )
    config["threads"] = min(config["threads"], config["connections"])
    return config


# Tools and machine ------------------------------------------------------------------


def _quietly(argv: list[str]) -> int:
    return subprocess.run(  # noqa: S603 - fixed programs
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, check=False
    ).returncode


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is not installed; installing it (apt-get install -y wrk) …")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if _quietly(install) != 0:
        _quietly(["apt-get", "update", "-q"])
        _quietly(install)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is needed and could not be installed: apt-get install wrk")
    return found


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def code_state() -> dict:
    """The commit measured, and how many files differ from it (read-only git calls)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(  # noqa: S603
                ["git", *args],  # noqa: S607
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        except OSError:
            return ""

    changed = git("status", "--porcelain", "--untracked-files=no").splitlines()
    return {"commit": git("rev-parse", "HEAD") or None, "modified_files": len(changed)}


def machine_info(admin_url: str) -> dict:
    cpu = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.MULTILINE)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    info = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gb": round(int(memory.group(1)) / 1024**2, 1) if memory else None,
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "kernel": platform.release(),
        # Anything else busy on the machine shows here: the figures share its CPUs.
        "load_average_at_start": [round(n, 2) for n in os.getloadavg()],
        "python": platform.python_version(),
    }
    try:
        info["wrk"] = (
            subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
            .stdout.splitlines()[0]
            .split(" [")[0]
        )
    except (OSError, IndexError):
        info["wrk"] = None
    info["code"] = code_state()
    from importlib.metadata import version

    for package in ("gunicorn", "django", "djangorestframework", "orjson", "psycopg2-binary"):
        try:
            info[package] = version(package)
        except Exception:  # noqa: BLE001 - a missing package is simply not listed
            info[package] = None
    import psycopg2

    with psycopg2.connect(admin_url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        info["postgresql"] = cursor.fetchone()[0]
        settings = {}
        for name in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit"):
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
        info["postgresql_settings"] = settings
    connection.close()
    return info


# Databases --------------------------------------------------------------------------


def admin_database_url(database_url: str) -> str:
    """The server's ``postgres`` maintenance database, to create the benchmark's in."""
    return urlunsplit(urlsplit(database_url)._replace(path="/postgres"))


def app_environment(config: dict, database_url: str, **extra: str) -> dict:
    """The environment of LogiTrack's processes: production settings, throwaway
    secrets, the benchmark's database and Redis, no throttling refusals."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_BROKER_URL", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=config["redis_url"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=config["secret_key"],
        JWT_SIGNING_KEY=config["jwt_key"],
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        **SERVER_ENVIRONMENT,
        THROTTLE_USER_RATE="10000000/min",
        THROTTLE_AUTH_RATE="100000/min",
        MEDIA_ROOT=config["media_root"],
        # The assign scenario's webhook endpoints point at 127.0.0.1 (no worker runs, so
        # nothing is sent): accepted as they are, with no DNS query.
        WEBHOOK_ALLOW_HTTP="1",
        WEBHOOK_ALLOW_PRIVATE="1",
        WEBHOOK_RESOLVE_NAMES="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(config: dict, database_url: str, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from this module
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=app_environment(config, database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def prepare_database(config: dict, size: str) -> tuple[str, dict]:
    """Creates (if missing), migrates, seeds and analyses the database of ``size``."""
    import psycopg2
    from psycopg2 import sql

    url = bench_database_url(config["database_url"], size)
    name = database_name(url)
    info: dict[str, object] = {"database": name}
    connection = psycopg2.connect(admin_database_url(config["database_url"]))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"  creating database {name}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            info["created"] = True
    connection.close()

    started = time.monotonic()
    manage(config, url, "migrate", "--noinput")
    info["migrate_s"] = round(time.monotonic() - started, 1)

    deliveries = summary.parse_size(size)
    log(
        f"  seed_demo --deliveries {deliveries} --vehicles {config['vehicles']} "
        f"--drivers {config['drivers']} (reuses what is there)"
    )
    started = time.monotonic()
    output = manage(
        config,
        url,
        "seed_demo",
        f"--deliveries={deliveries}",
        f"--vehicles={config['vehicles']}",
        f"--drivers={config['drivers']}",
        "--no-progress",
    )
    info["seed_s"] = round(time.monotonic() - started, 1)
    created = re.search(r"Deliveries created: (\d+)", output)
    info["deliveries_created"] = int(created.group(1)) if created else None
    log(f"  seeded in {info['seed_s']} s ({info['deliveries_created']} deliveries created)")

    started = time.monotonic()
    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("SELECT COUNT(*) FROM deliveries_delivery")
        info["deliveries"] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        info["size_mb"] = round(cursor.fetchone()[0] / 1024**2)
    connection.close()
    info["vacuum_s"] = round(time.monotonic() - started, 1)
    return url, info


def flush_redis(config: dict) -> None:
    import redis

    redis.Redis.from_url(config["redis_url"]).flushdb()


# Other work on the machine ----------------------------------------------------------


def own_pids(config: dict) -> set[int]:
    """The benchmark's live processes other than this one: the servers and wrk it
    started, the PostgreSQL backends of its database, the Redis server it uses."""
    pids = cpu.descendants([os.getpid()]) - {os.getpid()}
    monitor = config.get("monitor")
    if monitor is not None:
        with monitor.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            pids |= {pid for (pid,) in cursor.fetchall()}
    port = urlsplit(config["redis_url"]).port or 6379
    return pids | cpu.pids_listening_on(port)


def watch_database(config: dict, url: str | None) -> None:
    """Counts the backends of database ``url`` (from now on) as the benchmark's own."""
    import psycopg2

    if config.get("monitor") is not None:
        config["monitor"].close()
        config["monitor"] = None
    if url:
        config["monitor"] = psycopg2.connect(url)
        config["monitor"].autocommit = True


def wait_until_quiet(config: dict) -> bool:
    """Waits (``BENCH_QUIET_TIMEOUT`` seconds at most) until other work on the machine
    takes less than ``BENCH_MAX_FOREIGN_CPU``; says whether it did."""
    if config["quiet_timeout"] <= 0:
        return True
    started = time.monotonic()
    quiet, foreign = cpu.wait_until_quiet(
        lambda: own_pids(config),
        limit=config["max_foreign_cpu"],
        timeout=config["quiet_timeout"],
    )
    waited = time.monotonic() - started
    if not quiet:
        log(f"    (other work keeps {foreign:.2f} CPUs busy; measuring all the same)")
    elif waited > 5:
        log(f"    (waited {waited:.0f} s for other work to calm down)")
    return quiet


# Servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A Gunicorn master on 127.0.0.1, started and stopped by the benchmark."""

    def __init__(self, name: str, app: str, env: dict, *, log_dir: Path):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}-{self.port}.log"
        # Both apps run with LogiTrack's production Gunicorn settings (access log,
        # heartbeat files in memory, timeouts), changed only by the environment.
        argv = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
        argv += ["--bind", f"127.0.0.1:{self.port}", app]
        self.argv, self.env = argv, env
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Server":
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - fixed program
            self.argv,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/health/live/", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200 and len(self.workers()) == WORKERS:
                        break
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise BenchError(
                f"{self.name} did not answer within {timeout:.0f} s:\n{self.log_tail()}"
            )
        # Both workers up and through their first requests (imports, connections).
        for _ in range(4 * WORKERS):
            urllib.request.urlopen(f"{self.base}/health/live/", timeout=10).close()  # noqa: S310
        return self

    def workers(self) -> list[int]:
        if self.process is None:
            return []
        children = _read(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.split()]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(_read(str(self.log_path)).splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        self._log.close()


@contextmanager
def running(server: Server):
    server.start()
    try:
        yield server
    finally:
        server.stop()


def rss_mb(pid: int) -> dict:
    status = _read(f"/proc/{pid}/status")
    values = {}
    for key in ("VmRSS", "VmHWM"):
        match = re.search(rf"^{key}:\s*(\d+) kB", status, re.MULTILINE)
        values[key] = round(int(match.group(1)) / 1024, 1) if match else None
    return {"rss_mb": values["VmRSS"], "peak_rss_mb": values["VmHWM"]}


# HTTP clients -----------------------------------------------------------------------


def http_json(method: str, url: str, *, token: str | None = None, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def sign_in(server: Server, user: tuple[str, str] = DISPATCHER) -> str:
    username, password = user
    status, body = http_json(
        "POST",
        f"{server.base}/api/v1/auth/token/",
        body={"username": username, "password": password},
    )
    if status != 200:
        raise BenchError(f"Signing in as {username} answered {status}: {body}")
    return body["access"]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def walk_next_links(server: Server, token: str, pages: int) -> dict:
    """Follows ``next`` from the first page until page ``pages`` (or the last page),
    one request at a time; returns the page's path and what the walk cost."""
    url = server.base + FIRST_PATH
    times = []
    depth = 1
    started = time.perf_counter()
    status, body = http_json("GET", url, token=token)
    times.append(time.perf_counter() - started)
    while depth < pages:
        if status != 200:
            raise BenchError(f"GET {url} answered {status} while following next links")
        if not body.get("next"):
            break
        url = body["next"]
        started = time.perf_counter()
        status, body = http_json("GET", url, token=token)
        times.append(time.perf_counter() - started)
        depth += 1
    if status != 200:
        raise BenchError(f"GET {url} answered {status} while following next links")
    tail = times[-10:]
    return {
        "path": path_of(url),
        "depth": depth,
        "requests": len(times),
        "mean_ms": 1000 * sum(times) / len(times),
        "first_10_mean_ms": 1000 * sum(times[:10]) / len(times[:10]),
        "last_10_mean_ms": 1000 * sum(tail) / len(tail),
        "total_s": sum(times),
    }


# Load -------------------------------------------------------------------------------


def wrk(
    config: dict,
    url: str,
    *,
    token: str | None,
    duration: float,
    connections: int | None = None,
    threads: int | None = None,
    paths: list[str] | None = None,
    stop_after: int | None = None,
) -> dict:
    """Runs wrk on ``url``; with ``stop_after`` it stops after that many responses per
    thread instead of after ``duration``."""
    connections = connections or config["connections"]
    threads = min(threads or config["threads"], connections)
    env = dict(os.environ, BENCH_TOKEN=token or "", BENCH_PATHS=" ".join(paths or []))
    if stop_after:
        env["BENCH_STOP_AFTER"] = str(stop_after)
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "-s",
        str(WRK_SCRIPT),
        url,
    ]
    if not stop_after:
        output = subprocess.run(  # noqa: S603 - fixed program
            argv, env=env, capture_output=True, text=True, check=False, timeout=duration + 120
        ).stdout
    else:
        output = _wrk_until_stopped(argv, env, threads)
    result = summary.parse_wrk(output)
    result["connections"], result["threads"] = connections, threads
    return result


def _wrk_until_stopped(argv: list[str], env: dict, threads: int) -> str:
    """wrk ends when its duration is up, even when every thread has stopped: once all
    have said so (``BENCH_STOPPED``), SIGINT makes it print its results at once."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    # A thread that never gets its count (a server that stopped answering) still ends.
    limit = threading.Timer(MEMORY_RUN_LIMIT_S, process.send_signal, [signal.SIGINT])
    limit.start()
    lines = []
    stopped = 0
    assert process.stdout is not None  # noqa: S101 - stdout=PIPE
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("BENCH_STOPPED"):
                stopped += 1
                if stopped == threads:
                    process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    finally:
        limit.cancel()
    return "".join(lines)


def measure(
    config: dict, *, server: Server, path: str, token: str | None = None, cold: bool = False
) -> dict:
    """One measurement: a warm-up, then ``BENCH_DURATION`` seconds of load once the
    machine is quiet; taken again (``BENCH_RETRIES`` times at most) while other work took
    more than ``BENCH_MAX_FOREIGN_CPU`` CPUs meanwhile, keeping the least disturbed."""
    url = server.base + path
    result: dict = {}
    for attempt in range(1, config["retries"] + 2):
        if config["warmup"]:
            wrk(config, url, token=token, duration=config["warmup"])
        if cold:
            flush_redis(config)
        quiet = wait_until_quiet(config)
        with cpu.CpuWatch(lambda: own_pids(config)) as watch:
            attempt_result = wrk(config, url, token=token, duration=config["duration"])
        attempt_result["foreign_cpu"] = round(watch.foreign, 2)
        attempt_result["attempts"] = attempt
        if not result or attempt_result["foreign_cpu"] < result["foreign_cpu"]:
            result = attempt_result
        # Measuring again helps when other work came and went, not when it stays.
        if watch.foreign <= config["max_foreign_cpu"] or not quiet:
            break
        if attempt <= config["retries"]:
            log(f"      (other work took {watch.foreign:.2f} CPUs meanwhile; measuring again)")
    result["disturbed"] = result["foreign_cpu"] > config["max_foreign_cpu"]
    return result


def median_run(results: list[dict]) -> dict:
    """The measurement with the median req/s (the lower one of the two middle ones)."""
    ordered = sorted(results, key=lambda result: result["rps"])
    return ordered[(len(ordered) - 1) // 2]


# Assign under read load -------------------------------------------------------------


def assign_candidates(server: Server, token: str) -> tuple[list[int], list[int], int | None]:
    """Light pending deliveries, roomy available vehicles and an active driver."""
    status, page = http_json(
        "GET", f"{server.base}{LIST_PATH}?status=pending&page_size=100", token=token
    )
    if status != 200:
        raise BenchError(f"Listing pending deliveries answered {status}")
    deliveries = [d["id"] for d in page["results"] if float(d["weight_kg"]) <= 20][:20]
    status, page = http_json(
        "GET",
        f"{server.base}/api/v1/vehicles/?status=available&ordering=-capacity_kg&page_size=20",
        token=token,
    )
    if status != 200:
        raise BenchError(f"Listing vehicles answered {status}")
    vehicles = [v["id"] for v in page["results"]]
    status, page = http_json(
        "GET", f"{server.base}/api/v1/users/?role=driver&is_active=true&page_size=1", token=token
    )
    driver = page["results"][0]["id"] if status == 200 and page["results"] else None
    if not deliveries or not vehicles:
        raise BenchError("No light pending delivery or available vehicle to assign.")
    return deliveries, vehicles, driver


class AssignClient(threading.Thread):
    """Assigns pending deliveries and unassigns them again on a keep-alive connection
    (reopened whenever the server closes it) until ``deadline``: back to back, or one
    request every ``interval`` seconds (a steady write stream)."""

    def __init__(self, server, token, candidates, deadline, *, interval: float = 0.0):
        super().__init__(daemon=True)
        self.port, self.token = server.port, token
        self.deliveries, self.vehicles, self.driver = candidates
        self.deadline, self.interval = deadline, interval
        self.next_at = time.monotonic()
        self.assign_ms: list[float] = []
        self.unassign_ms: list[float] = []
        self.statuses: dict[str, int] = {}
        self.failed: Exception | None = None

    def post(self, connection, path: str, body: dict | None) -> tuple[int, float]:
        if self.interval:
            self.next_at += self.interval
            time.sleep(max(0.0, self.next_at - time.monotonic()))
        payload = json.dumps(body or {}).encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        started = time.perf_counter()
        connection.request("POST", path, body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = 1000 * (time.perf_counter() - started)
        self.statuses[str(response.status)] = self.statuses.get(str(response.status), 0) + 1
        return response.status, elapsed

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        turn = 0
        try:
            while time.monotonic() < self.deadline:
                delivery = self.deliveries[turn % len(self.deliveries)]
                body = {"vehicle_id": self.vehicles[turn % len(self.vehicles)]}
                if self.driver:
                    body["driver_id"] = self.driver
                turn += 1
                status, elapsed = self.post(connection, f"{LIST_PATH}{delivery}/assign/", body)
                self.assign_ms.append(elapsed)
                if status == 200:
                    status, elapsed = self.post(
                        connection, f"{LIST_PATH}{delivery}/unassign/", None
                    )
                    self.unassign_ms.append(elapsed)
                    if status != 200:
                        raise BenchError(f"unassign of {delivery} answered {status}")
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            self.failed = exc
        finally:
            connection.close()

    def timings(self) -> dict:
        return {
            "assigns": len(self.assign_ms),
            "unassigns": len(self.unassign_ms),
            "statuses": self.statuses,
            "assign_ms": {
                "p50": summary.percentile(self.assign_ms, 0.5),
                "p99": summary.percentile(self.assign_ms, 0.99),
                "max": max(self.assign_ms, default=None),
            },
            "unassign_ms": {
                "p50": summary.percentile(self.unassign_ms, 0.5),
                "p99": summary.percentile(self.unassign_ms, 0.99),
            },
        }


def reads_while_writing(
    config: dict, server: Server, token: str, candidates: tuple, *, connections: int, interval=0.0
) -> tuple[dict, dict]:
    """wrk on the list's first page with ``connections`` while an :class:`AssignClient`
    writes, both for as long as all the rounds of a read scenario together: the readers'
    figures and the writer's timings."""
    duration = max(10, config["duration"] * config["rounds"])
    wait_until_quiet(config)
    with cpu.CpuWatch(lambda: own_pids(config)) as watch:
        deadline = time.monotonic() + duration
        client = AssignClient(server, token, candidates, deadline, interval=interval)
        client.start()
        readers = wrk(
            config,
            server.base + FIRST_PATH,
            token=token,
            duration=duration,
            connections=connections,
            threads=min(config["threads"], connections),
        )
        client.join(timeout=duration + 60)
    if client.failed:
        raise BenchError(f"The assign client failed: {client.failed}")
    readers["foreign_cpu"] = round(watch.foreign, 2)
    readers["disturbed"] = watch.foreign > config["max_foreign_cpu"]
    writes = client.timings()
    writes["writes_per_s"] = round((writes["assigns"] + writes["unassigns"]) / duration, 1)
    return readers, writes


def list_row(scenario: str, variant: str, size: str, result: dict, path: str = FIRST_PATH):
    return {
        "app": LOGITRACK,
        "scenario": scenario,
        "variant": variant,
        "size": size,
        "path": path,
        "page_size": PAGE_SIZE,
        **result,
    }


@contextmanager
def webhook_endpoints(server: Server, token: str, count: int):
    """``count`` active endpoints subscribed to every event while the block runs,
    deleted afterwards with their messages."""
    created = []
    try:
        for n in range(count):
            status, body = http_json(
                "POST",
                f"{server.base}/api/v1/webhooks/",
                token=token,
                body={"url": f"http://127.0.0.1:9/bench/{n}", "events": ["*"]},
            )
            if status != 201:
                raise BenchError(f"Creating a webhook endpoint answered {status}: {body}")
            created.append(body["id"])
        yield created
    finally:
        for pk in created:
            http_json("DELETE", f"{server.base}/api/v1/webhooks/{pk}/", token=token)


def measure_assign(config: dict, rows: list, *, size: str, server: Server) -> dict:
    """``POST …/assign/`` back to back while 4 connections read the first page and
    ``WEBHOOK_ENDPOINTS`` webhook endpoints take every event."""
    token = sign_in(server)
    candidates = assign_candidates(server, token)
    with webhook_endpoints(server, token, WEBHOOK_ENDPOINTS):
        readers, result = reads_while_writing(
            config, server, token, candidates, connections=ASSIGN_READERS
        )
    result["webhook_endpoints"] = WEBHOOK_ENDPOINTS
    rows.append(list_row(READS_DURING_ASSIGN, WARM, size, readers))
    result["readers"] = {"connections": ASSIGN_READERS, "rps": readers["rps"], "ok": readers["ok"]}
    result["foreign_cpu"] = readers["foreign_cpu"]
    bad = {code: n for code, n in result["statuses"].items() if code != "200"}
    log(
        f"    POST assign/ while {ASSIGN_READERS} connections read, {WEBHOOK_ENDPOINTS} webhook "
        f"endpoints: {result['assigns']} assigns, "
        f"p50 {result['assign_ms']['p50']:.2f} ms, p99 {result['assign_ms']['p99']:.2f} ms"
        + (f"; non-200 answers: {bad}" if bad else "")
        + f"; readers {readers['rps']:.1f} req/s"
    )
    return result


def measure_write_stream(config: dict, rows: list, *, size: str, servers: dict) -> dict:
    """The list's first page read as in the quiet rounds (same connections) while
    assign and unassign requests arrive at ``WRITES_PER_S``, on the server with the page
    cache off and on: what the page cache is worth while writes flow."""
    token = sign_in(servers[WARM])
    candidates = assign_candidates(servers[WARM], token)
    result = {}
    for variant in (COLD, WARM):
        readers, writes = reads_while_writing(
            config,
            servers[variant],
            token,
            candidates,
            connections=config["connections"],
            interval=1 / WRITES_PER_S,
        )
        rows.append(list_row(READS_DURING_WRITES, variant, size, readers))
        result[variant] = {"readers_rps": readers["rps"], **writes}
        log(
            f"    {variant}: first page while {writes['writes_per_s']} writes/s flow: "
            f"{readers['rps']:.1f} req/s, p99 {readers['latency_ms']['p99']:.2f} ms; "
            f"writes p99 {writes['assign_ms']['p99']:.2f} ms"
        )
    return result


def measure_bulk_create(config: dict, server: Server, url: str) -> dict:
    """``POST /api/v1/deliveries/bulk/`` with ``BULK_ITEMS`` deliveries, ``BULK_CALLS``
    times; what it created is deleted afterwards, leaving the data set as it was."""
    import psycopg2

    token = sign_in(server)
    scheduled = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    seconds, created = [], []
    wait_until_quiet(config)
    for call in range(BULK_CALLS):
        items = [
            {
                "origin_address": "Bench depot",
                "destination_address": f"Bench street {call}-{n}",
                "recipient_name": f"Bench recipient {n}",
                "weight_kg": "5.00",
                "scheduled_for": scheduled,
            }
            for n in range(BULK_ITEMS)
        ]
        started = time.perf_counter()
        status, body = http_json(
            "POST", f"{server.base}{LIST_PATH}bulk/", token=token, body={"items": items}
        )
        seconds.append(time.perf_counter() - started)
        if status != 200 or body.get("failed"):
            raise BenchError(f"POST bulk/ answered {status}: {str(body)[:500]}")
        created += [result["delivery"]["id"] for result in body["results"]]
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        for table, column in (("deliveryevent", "delivery_id"), ("delivery", "id")):
            cursor.execute(
                f"DELETE FROM deliveries_{table} WHERE {column} = ANY(%s)",  # noqa: S608
                [created],
            )
    connection.close()
    result = {
        "items": BULK_ITEMS,
        "calls": BULK_CALLS,
        "seconds": [round(s, 3) for s in seconds],
        "median_s": round(sorted(seconds)[(len(seconds) - 1) // 2], 3),
    }
    log(f"    POST bulk/ with {BULK_ITEMS} deliveries: " + ", ".join(f"{s:.2f} s" for s in seconds))
    return result


# Drivers' positions ----------------------------------------------------------------

# Points LOCATION_POINTS lack, spread over the demo drivers (half of them on a vehicle)
# and the last 20 days, in the order of time, as devices would have sent them.
LOAD_POINTS_SQL = """
INSERT INTO locations_locationpoint
    (driver_id, vehicle_id, lat, lng, recorded_at, received_at, accuracy_m, speed_kmh, heading)
SELECT
    (%(drivers)s::bigint[])[1 + g %% %(driver_count)s],
    CASE WHEN g %% 2 = 0 THEN (%(vehicles)s::bigint[])[1 + g %% %(vehicle_count)s] END,
    52.0 + (g %% 1000) / 5000.0,
    4.5 + (g %% 777) / 5000.0,
    now() - interval '20 days' + g * %(step)s * interval '1 second',
    now() - interval '20 days' + g * %(step)s * interval '1 second' + interval '2 seconds',
    5 + g %% 20,
    20 + g %% 60,
    g %% 360
FROM generate_series(1, %(missing)s) AS g
"""


def load_location_points(url: str, target: int = LOCATION_POINTS) -> dict:
    """Tops the stored points up to ``target`` with one server-side insert."""
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM locations_locationpoint")
        stored = cursor.fetchone()[0]
        info = {"stored_before": stored, "added": 0, "load_s": 0.0}
        if stored < target:
            cursor.execute("SELECT array_agg(id) FROM users_user WHERE role = 'driver'")
            drivers = cursor.fetchone()[0]
            cursor.execute("SELECT array_agg(id) FROM fleet_vehicle")
            vehicles = cursor.fetchone()[0]
            missing = target - stored
            log(f"  adding {missing:,} location points (INSERT … SELECT generate_series)")
            started = time.monotonic()
            cursor.execute(
                LOAD_POINTS_SQL,
                {
                    "drivers": drivers,
                    "driver_count": len(drivers),
                    "vehicles": vehicles,
                    "vehicle_count": len(vehicles),
                    "step": 20 * 86_400 / missing,
                    "missing": missing,
                },
            )
            cursor.execute("VACUUM (ANALYZE) locations_locationpoint")
            info.update(added=missing, load_s=round(time.monotonic() - started, 1))
        cursor.execute(
            "SELECT driver_id, vehicle_id FROM locations_locationpoint "
            "WHERE vehicle_id IS NOT NULL ORDER BY id DESC LIMIT 1"
        )
        info["driver_id"], info["vehicle_id"] = cursor.fetchone()
    connection.close()
    return info


def _post_batches(server: Server, token: str, batches: range, accepted: list) -> None:
    """Posts the batches numbered ``batches`` on one connection; appends what each
    accepted (or the error) to ``accepted``."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # A point a second, the last one a minute ago.
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=LOCATION_BATCHES * BULK_ITEMS + 60)
    for batch in batches:
        points = [
            {
                "lat": 52.37 + n / 100_000,
                "lng": 4.9,
                "recorded_at": (start + dt.timedelta(seconds=batch * BULK_ITEMS + n)).isoformat(),
                "speed_kmh": 40,
            }
            for n in range(BULK_ITEMS)
        ]
        body = json.dumps({"points": points}).encode()
        connection.request("POST", "/api/v1/locations/", body=body, headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 202:
            accepted.append(BenchError(f"POST locations/ answered {response.status}: {answer}"))
            break
        accepted.append(answer["accepted"])
    connection.close()


def post_location_batches(server: Server, batches: int) -> dict:
    """``batches`` calls of ``POST /api/v1/locations/`` with 500 points each, as the demo
    driver, on one connection per Gunicorn worker: the points accepted per second."""
    token = sign_in(server, DRIVER)
    accepted: list = []
    clients = [
        threading.Thread(
            target=_post_batches, args=(server, token, range(n, batches, WORKERS), accepted)
        )
        for n in range(WORKERS)
    ]
    started = time.perf_counter()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    seconds = time.perf_counter() - started
    failed = [answer for answer in accepted if isinstance(answer, Exception)]
    if failed:
        raise BenchError(str(failed[0])[:500])
    return {
        "batches": batches,
        "connections": WORKERS,
        "points": sum(accepted),
        "seconds": round(seconds, 3),
        "points_per_s": round(sum(accepted) / seconds, 1),
    }


def time_requests(server: Server, token: str, path: str, count: int) -> dict:
    """``count`` GETs of ``path`` one after another on one connection: milliseconds."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    times = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        times.append(1000 * (time.perf_counter() - started))
        if response.status != 200:
            raise BenchError(f"GET {path} answered {response.status}")
    connection.close()
    return {
        "path": path,
        "requests": count,
        "p50_ms": summary.percentile(times, 0.5),
        "p99_ms": summary.percentile(times, 0.99),
    }


def measure_locations(config: dict, server: Server, url: str) -> dict:
    """Location batches posted, then the last known position of a driver and of a
    vehicle read with ``LOCATION_POINTS`` stored."""
    wait_until_quiet(config)
    ingest = post_location_batches(server, LOCATION_BATCHES)
    log(
        f"    POST locations/ ({LOCATION_BATCHES} × 500 points): "
        f"{ingest['points_per_s']:,.0f} points/s on {WORKERS} connections"
    )
    stored = load_location_points(url)
    token = sign_in(server)
    wait_until_quiet(config)
    reads = {
        kind: time_requests(
            server, token, f"/api/v1/{collection}/{stored[f'{kind}_id']}/location/", LOCATION_READS
        )
        for kind, collection in (("driver", "users"), ("vehicle", "vehicles"))
    }
    selector = probe(
        config,
        url,
        "location",
        "--driver",
        str(stored["driver_id"]),
        "--vehicle",
        str(stored["vehicle_id"]),
    )
    for kind, read in reads.items():
        log(
            f"    {kind}'s last position at {LOCATION_POINTS:,} points: GET location/ "
            f"p50 {read['p50_ms']:.2f} ms, p99 {read['p99_ms']:.2f} ms; in-process "
            f"p50 {selector[kind]['p50_ms']:.2f} ms, p99 {selector[kind]['p99_ms']:.2f} ms"
        )
    return {"ingest": ingest, "stored": stored, "reads": reads, "selector": selector}


# Probes -----------------------------------------------------------------------------


def probe(config: dict, database_url: str, *args: str) -> dict:
    env = app_environment(
        config, database_url, DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver"
    )
    result = subprocess.run(  # noqa: S603 - fixed program
        [str(VENV_BIN / "python"), "-m", "bench.probe", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("BENCH_PROBE "):
            return json.loads(line.removeprefix("BENCH_PROBE "))
    raise BenchError(
        f"bench.probe {' '.join(args)} failed ({result.returncode}):\n"
        f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    )


# One data set -----------------------------------------------------------------------


def logitrack_server(config: dict, url: str, name: str, *, list_cache: bool) -> Server:
    env = app_environment(config, url, LIST_CACHE="1" if list_cache else "0")
    return Server(name, "logitrack.wsgi:application", env, log_dir=config["log_dir"])


def raw_server(config: dict, url: str, count: str) -> Server:
    env = dict(
        os.environ,
        RAW_DATABASE_URL=url,
        RAW_COUNT=count,
        PYTHONUNBUFFERED="1",
        **SERVER_ENVIRONMENT,
    )
    return Server(f"raw-{count}", "bench.raw_app:application", env, log_dir=config["log_dir"])


def walk_deep_pages(results: dict, size: str, servers: dict) -> dict[str, str]:
    """Follows ``next`` ``DEEP_PAGES - 1`` times on the cold and the warm server; the path
    reached on each."""
    deep_paths = {}
    for variant in (COLD, WARM):
        server = servers[variant]
        walk = walk_next_links(server, sign_in(server), DEEP_PAGES)
        results["walks"].setdefault(size, {})[variant] = walk
        deep_paths[variant] = walk["path"]
        log(
            f"  {variant}: followed next to page {walk['depth']}: {walk['mean_ms']:.1f} ms "
            f"per request on average (first 10 {walk['first_10_mean_ms']:.1f} ms, last 10 "
            f"{walk['last_10_mean_ms']:.1f} ms), {walk['total_s']:.1f} s in all"
        )
    return deep_paths


def round_plan(servers: dict, deep_paths: dict[str, str]) -> list[tuple]:
    """(app, scenario, variant, server key, path) of every measurement of a round."""
    token = sign_in(servers[WARM])
    _, page = http_json("GET", servers[WARM].base + FIRST_PATH, token=token)
    detail_path = f"{LIST_PATH}{page['results'][0]['id']}/"
    plan = []
    for scenario, path in ((FIRST, FIRST_PATH), (STATUS, STATUS_PATH)):
        plan += [
            (RAW, scenario, "", RAW, path),
            (RAW_EXACT, scenario, "", RAW_EXACT, path),
            (LOGITRACK, scenario, COLD, COLD, path),
            (LOGITRACK, scenario, WARM, WARM, path),
        ]
    return [
        *plan,
        (LOGITRACK, DEEP, COLD, COLD, deep_paths[COLD]),
        (LOGITRACK, DEEP, WARM, WARM, deep_paths[WARM]),
        (LOGITRACK, DETAIL, "", WARM, detail_path),
        (LOGITRACK, VEHICLES, "", WARM, "/api/v1/vehicles/"),
        (LOGITRACK, STATS, "", WARM, "/api/v1/stats/"),
    ]


def run_rounds(config: dict, rows: list, size: str, servers: dict, plan: list[tuple]) -> None:
    """Each round measures every scenario once, in the plan's order, so that a slow
    spell of the machine weighs on all of them alike; the median round counts."""
    measured: list[list[dict]] = [[] for _ in plan]
    for number in range(1, config["rounds"] + 1):
        log(f"  round {number} of {config['rounds']}")
        token = sign_in(servers[WARM])  # any LogiTrack server's token is good on both
        for index, (app, scenario, variant, server_key, path) in enumerate(plan):
            result = measure(
                config,
                server=servers[server_key],
                path=path,
                token=token if app == LOGITRACK else None,
                cold=variant == COLD,
            )
            measured[index].append(result)
            label = summary.scenario_label(
                {"app": app, "scenario": scenario, "variant": variant, **result}
            )
            log(
                f"    {label:<58} {result['rps']:>8.1f} req/s"
                f"  p50 {result['latency_ms']['p50']:>7.2f} ms"
                f"  p99 {result['latency_ms']['p99']:>7.2f} ms"
                f"  other CPU {result['foreign_cpu']:.2f}"
                + ("" if result["ok"] else f"  FAILED: {result['errors']}")
            )
    for (app, scenario, variant, _, path), results_of in zip(plan, measured, strict=True):
        rows.append(
            {
                "app": app,
                "scenario": scenario,
                "variant": variant,
                "size": size,
                "path": path,
                "page_size": PAGE_SIZE if scenario in summary.LIST_SCENARIOS else None,
                **median_run(results_of),
                "ok": all(result["ok"] for result in results_of),
                "rounds_rps": [round(result["rps"], 1) for result in results_of],
            }
        )


def measure_memory(config: dict, url: str, deep_path: str) -> dict:
    """Worker RSS after ``memory_requests`` list requests over 9 lists, cache off."""
    log(f"  memory: {config['memory_requests']:,} list requests on fresh workers (list cache off)")
    flush_redis(config)
    paths = [
        FIRST_PATH,
        STATUS_PATH,
        deep_path,
        *(f"{LIST_PATH}?page_size={n}" for n in (10, 25, 100)),
        *(f"{LIST_PATH}?status={s}&page_size=100" for s in ("pending", "delivered", "assigned")),
    ]
    with running(logitrack_server(config, url, "logitrack-memory", list_cache=False)) as server:
        token = sign_in(server)
        before = {pid: rss_mb(pid) for pid in server.workers()}
        load = wrk(
            config,
            server.base + FIRST_PATH,
            token=token,
            duration=3600,
            paths=paths,
            stop_after=-(-config["memory_requests"] // config["threads"]),
        )
        after = {pid: rss_mb(pid) for pid in server.workers()}
    workers = [
        {"pid": pid, "rss_before_mb": before.get(pid, {}).get("rss_mb"), **after[pid]}
        for pid in after
    ]
    log(
        f"    after {load['requests']:,} requests: worker RSS "
        + ", ".join(f"{w['rss_mb']} MB (was {w['rss_before_mb']})" for w in workers)
        + ("" if load["ok"] else f"  FAILED: {load['errors']}")
    )
    return {
        "requests": load["requests"],
        "ok": load["ok"],
        "rps": load["rps"],
        "paths": paths,
        "workers": workers,
        "max_rss_mb": max((w["rss_mb"] for w in workers if w["rss_mb"]), default=None),
    }


def measure_in_process(config: dict, results: dict, size: str, url: str, deep_path: str) -> None:
    """SQL queries per request and, from ``REPORT_ROWS`` deliveries on, a CSV report's
    peak memory, each in a process of its own."""
    log("  SQL queries per request (in-process, APIClient with a Bearer token)")
    queries = probe(config, url, "queries", "--deep", deep_path)
    results["queries"][size] = queries
    for entry in queries["requests"]:
        log(
            f"    {entry['scenario']:<12} page_size {str(entry['page_size'] or '–'):>4}: "
            f"cold {entry['cold']}, warm {entry['warm']}"
        )
    if summary.parse_size(size) < REPORT_ROWS:
        return
    log(f"  CSV report of {REPORT_ROWS:,} rows, built in a process of its own")
    report = probe(config, url, "report", "--rows", str(REPORT_ROWS))
    results["memory"]["report"][size] = report
    log(
        f"    {report['status']}: {report['rows']:,} rows in {report['seconds']} s, "
        f"peak RSS {report['peak_rss_mb']} MB (before building {report['baseline_rss_mb']} MB)"
    )


def bench_size(config: dict, results: dict, size: str, url: str) -> None:
    rows = results["runs"]
    is_largest = size == config["sizes"][-1]
    servers = {
        RAW: raw_server(config, url, "estimate"),
        RAW_EXACT: raw_server(config, url, "exact"),
        COLD: logitrack_server(config, url, "logitrack-cold", list_cache=False),
        WARM: logitrack_server(config, url, "logitrack-warm", list_cache=True),
    }
    flush_redis(config)
    with ExitStack() as stack:
        for server in servers.values():
            stack.enter_context(running(server))
        log(
            "  servers: the raw app with an estimated count and with COUNT(*); LogiTrack with "
            "the list cache off (cold) and on (warm); Gunicorn, 2 sync workers each"
        )
        deep_paths = walk_deep_pages(results, size, servers)
        run_rounds(config, rows, size, servers, round_plan(servers, deep_paths))
        if is_largest:
            results["assign"][size] = measure_assign(config, rows, size=size, server=servers[WARM])
            log(f"  reads while {WRITES_PER_S} assign/unassign requests per second flow")
            results["writes"][size] = measure_write_stream(config, rows, size=size, servers=servers)
            results["bulk"][size] = measure_bulk_create(config, servers[WARM], url)
            results["locations"][size] = measure_locations(config, servers[WARM], url)
    results["memory"]["workers"][size] = measure_memory(config, url, deep_paths[COLD])
    measure_in_process(config, results, size, url, deep_paths[COLD])


def _stop_on_sigterm(signum, frame) -> None:
    # Unwinds like Ctrl-C, so the servers started so far are stopped on the way out.
    raise KeyboardInterrupt


def new_results(config: dict) -> dict:
    settings = (
        "sizes",
        "duration",
        "rounds",
        "warmup",
        "connections",
        "threads",
        "vehicles",
        "drivers",
        "memory_requests",
    )
    return {
        "config": {key: config[key] for key in settings}
        | {"page_size": PAGE_SIZE, "workers": WORKERS, "deep_pages": DEEP_PAGES},
        "machine": machine_info(admin_database_url(config["database_url"])),
        "databases": {},
        "runs": [],
        "walks": {},
        "queries": {},
        "assign": {},
        "writes": {},
        "bulk": {},
        "locations": {},
        "memory": {"workers": {}, "report": {}},
    }


def run_all(config: dict, results: dict) -> None:
    m = results["machine"]
    log(
        f"LogiTrack benchmark on {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB, "
        f"PostgreSQL {m['postgresql']}, Python {m['python']}; logs in {config['log_dir']}"
    )
    for size in config["sizes"]:
        log(f"\n== {size} deliveries ==")
        url, info = prepare_database(config, size)
        results["databases"][size] = info
        watch_database(config, url)
        bench_size(config, results, size, url)
        watch_database(config, None)
    flush_redis(config)
    results["machine"]["load_average_at_end"] = [round(n, 2) for n in os.getloadavg()]


def write_report(config: dict, results: dict) -> None:
    summary.attach_queries(results["runs"], results["queries"])
    summary.add_ratios(results["runs"])
    results["targets"] = summary.evaluate_targets(results)
    RESULTS_PATH.write_text(json.dumps(results, indent=2, default=str) + "\n")
    log("\n" + summary.format_table(results["runs"]))
    log(
        "\nvs raw: LogiTrack req/s over the raw app's (estimated count) on the same list and "
        "size; vs raw COUNT(*): over the raw app counting with COUNT(*) on every request.\n"
        "1M/10k: LogiTrack req/s at the largest size over the same scenario's at the "
        "smallest.\n"
        "other CPU: CPUs that work other than the benchmark's took during the measurement; "
        f"* marks a run where it stayed above {config['max_foreign_cpu']}.\n"
    )
    log(summary.format_targets(results["targets"]))
    log(f"\nResults written to {RESULTS_PATH.relative_to(PROJECT_ROOT)}.")


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        config = load_config(os.environ)
        ensure_wrk()
        import orjson  # noqa: F401 - the raw app's encoder must be there
    except BenchError as exc:
        print(f"make bench: {exc}", file=sys.stderr)
        return 2
    except ImportError:
        print(
            "make bench: orjson is missing: pip install -r requirements-bench.txt", file=sys.stderr
        )
        return 2
    config["secret_key"] = secrets.token_urlsafe(48)
    config["jwt_key"] = secrets.token_urlsafe(48)
    workdir = Path(tempfile.mkdtemp(prefix="logitrack-bench-"))
    config["log_dir"] = workdir
    config["media_root"] = str(workdir / "media")
    try:
        results = new_results(config)
        run_all(config, results)
    except BenchError as exc:
        print(f"\nmake bench: {exc}", file=sys.stderr)
        return 1
    write_report(config, results)
    shutil.rmtree(workdir, ignore_errors=True)
    failed = [summary.scenario_label(row) for row in results["runs"] if not row["ok"]]
    if failed:
        print("make bench: scenarios with non-2xx answers: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
