"""``make fuzz``: the served OpenAPI schema checked against the running API.

Schemathesis (its examples, coverage, fuzzing and stateful phases) sends requests to
every operation of ``/api/schema/`` (valid ones and, where the schema says what is
invalid, invalid ones) and checks each answer: no ``5xx``, a status the operation
documents, the documented content type, a body the documented schema accepts, and
invalid input refused (``CHECKS``). It runs twice, signed in as the demo admin and as
the demo driver ``driver1``; the driver first, as the admin's run changes the data.

The server runs as in production: Gunicorn (``gunicorn.conf.py``, 2 workers) bound to
127.0.0.1 on a free port, ``DJANGO_DEBUG=0`` with throwaway secrets, Redis, and a
PostgreSQL database of its own on DATABASE_URL's server, ``<name>_fuzz``: dropped if a
former run left it, created, migrated and seeded with ``seed_demo``, and dropped at the
end, so every run starts from the same data. Redis database ``FUZZ_REDIS_DB`` (default
11) of REDIS_URL's server is flushed before the run. Throttle rates are raised so that
no request is refused for its rate. The schema is read with the admin's token (the docs
stay private, as in production).

``logitrack/fuzz_hooks.py`` keeps each run from changing or deleting its own account.
Every failure fails the run.

Schemathesis's working files (the schema it reads, its configuration, its reports) and
the server's log live in a temporary directory; no example database or cache is kept.

Variables: ``FUZZ_SEED`` (default 20261129); ``FUZZ_MAX_EXAMPLES``, test cases per
operation in each round of a phase (default 25); ``FUZZ_MAX_TIME``, seconds per signed-in
user (default 75: fuzzing and stateful testing repeat until it is spent, so the run's
length is fixed and the test cases it reaches depend on the machine's speed);
``FUZZ_REDIS_DB``; ``FUZZ_WORK_DIR``, a new directory (outside the repository) to keep
the working files in for a look afterwards. Exit status: 0 when Schemathesis found
nothing, 1 when it did, 2 when the run could not be set up.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOOKS = Path(__file__).resolve().parent / "fuzz_hooks.py"
VENV_BIN = Path(sys.executable).parent

# The demo users of ``seed_demo`` (demo.accounts), by the role each is fuzzed as.
USERS = (("admin", "admin", "logitrack-admin"), ("driver", "driver1", "logitrack-driver"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
WORKERS = 2  # Gunicorn workers, as many as the machine's CPUs
SEED_DELIVERIES = 60
SEED_VEHICLES = 10
SEED_DRIVERS = 4


class FuzzError(Exception):
    """A problem that stops the run before Schemathesis does, with a message for the
    person running it."""


def log(message: str) -> None:
    print(message, flush=True)


# Configuration ----------------------------------------------------------------------


def _env_int(env, name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise FuzzError(f"{name} must be a whole number, not {raw!r}.") from exc


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def load_config(env) -> dict:
    database_url = env.get("DATABASE_URL", "").strip()
    redis_url = env.get("REDIS_URL", "").strip()
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise FuzzError(
            "make fuzz needs DATABASE_URL, a PostgreSQL URL whose server it may create a "
            "database on (it creates, uses and drops <name>_fuzz, never <name>), e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/logitrack "
            "REDIS_URL=redis://127.0.0.1:6379/0 make fuzz"
        )
    if not redis_url.startswith(("redis://", "rediss://")):
        raise FuzzError(
            "make fuzz needs REDIS_URL (e.g. redis://127.0.0.1:6379/0): the API runs with "
            "Redis as in production, on a database of its own (FUZZ_REDIS_DB, default 11), "
            "which it flushes."
        )
    name = urlsplit(database_url).path.lstrip("/")
    if not name:
        raise FuzzError("DATABASE_URL names no database (postgres://user@host:5432/NAME).")
    redis_db = str(_env_int(env, "FUZZ_REDIS_DB", 11))
    if (urlsplit(redis_url).path.lstrip("/") or "0") == redis_db:
        raise FuzzError(
            f"REDIS_URL uses Redis database {redis_db}, which make fuzz would flush; "
            "set FUZZ_REDIS_DB to another number."
        )
    return {
        "database_url": with_path(database_url, f"/{name}_fuzz"),
        "admin_database_url": with_path(database_url, "/postgres"),
        "database": f"{name}_fuzz",
        "redis_url": with_path(redis_url, f"/{redis_db}"),
        "seed": _env_int(env, "FUZZ_SEED", 20261129),
        "max_examples": _env_int(env, "FUZZ_MAX_EXAMPLES", 25),
        "max_time": _env_int(env, "FUZZ_MAX_TIME", 75),
        "secret_key": secrets.token_urlsafe(50),
        "jwt_key": secrets.token_urlsafe(50),
    }


def app_environment(config: dict, work_dir: Path) -> dict:
    """Production settings with throwaway secrets, the run's own database and Redis,
    and rates no fuzzer reaches."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CELERY_BROKER_URL", "DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DATABASE_URL=config["database_url"],
        REDIS_URL=config["redis_url"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=config["secret_key"],
        JWT_SIGNING_KEY=config["jwt_key"],
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL="WARNING",
        THROTTLE_ANON_RATE="1000000/min",
        THROTTLE_USER_RATE="1000000/min",
        THROTTLE_AUTH_RATE="1000000/min",
        THROTTLE_TRACK_RATE="1000000/min",
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_THREADS="1",
        GUNICORN_LOG_LEVEL="warning",
        MEDIA_ROOT=str(work_dir / "media"),
        # Webhook URLs the fuzzer makes up are checked without asking DNS, and with no
        # worker running nothing is ever sent.
        WEBHOOK_RESOLVE_NAMES="0",
        PYTHONUNBUFFERED="1",
    )
    return env


# Database and cache -----------------------------------------------------------------


def _admin_sql(config: dict, statement) -> None:
    import psycopg2

    connection = psycopg2.connect(config["admin_database_url"])
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def drop_database(config: dict) -> None:
    from psycopg2 import sql

    # FORCE: a server of a run that was killed may still hold connections.
    _admin_sql(
        config,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(config["database"])
        ),
    )


def manage(env: dict, *args: str) -> None:
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from this module
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise FuzzError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


@contextmanager
def fresh_database(config: dict, env: dict):
    """``<name>_fuzz``, created, migrated and seeded; dropped afterwards."""
    from psycopg2 import sql

    drop_database(config)
    _admin_sql(config, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["database"])))
    try:
        manage(env, "migrate", "--noinput")
        manage(
            env,
            "seed_demo",
            f"--deliveries={SEED_DELIVERIES}",
            f"--vehicles={SEED_VEHICLES}",
            f"--drivers={SEED_DRIVERS}",
            "--no-progress",
        )
        yield
    finally:
        drop_database(config)


def flush_redis(config: dict) -> None:
    import redis

    redis.Redis.from_url(config["redis_url"]).flushdb()


# The server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(env: dict, log_path: Path, timeout: float = 60):
    """Gunicorn with LogiTrack's production settings on 127.0.0.1; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py"]
    argv += ["--bind", f"127.0.0.1:{port}", "logitrack.wsgi:application"]
    with log_path.open("w") as server_log:
        process = subprocess.Popen(  # noqa: S603 - fixed program
            argv, cwd=PROJECT_ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise FuzzError(f"Gunicorn exited at start:\n{log_path.read_text()[-3000:]}")
                try:
                    with urllib.request.urlopen(f"{base}/health/live/", timeout=2):  # noqa: S310
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise FuzzError(
                            f"Gunicorn did not answer within {timeout:.0f} s:\n"
                            f"{log_path.read_text()[-3000:]}"
                        ) from None
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def http_json(method: str, url: str, *, token: str = "", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        raise FuzzError(f"{method} {url} answered {exc.code}: {exc.read()[:500]!r}") from exc


def sign_in(base: str, username: str, password: str) -> dict:
    """The user's access token and id."""
    pair = http_json(
        "POST", f"{base}/api/v1/auth/token/", body={"username": username, "password": password}
    )
    me = http_json("GET", f"{base}/api/v1/auth/me/", token=pair["access"])
    return {"token": pair["access"], "id": me["id"]}


# Schemathesis -----------------------------------------------------------------------


def schemathesis_config(config: dict, base: str, token: str, report_dir: Path) -> str:
    """A ``schemathesis.toml`` for one signed-in user."""
    checks = "\n".join(f"{check}.enabled = true" for check in CHECKS)
    return f"""\
base-url = "{base}"
hooks = "{HOOKS}"
seed = {config["seed"]}
max-time = {config["max_time"]}
# One worker: Python 3.11's ast.parse, which Hypothesis calls while it generates, is not
# safe across threads ("AST constructor recursion depth mismatch").
workers = 1
continue-on-failure = true
color = false
request-timeout = 30

[headers]
Authorization = "Bearer {token}"

[cache]
enabled = false

[reports]
directory = "{report_dir}"

[reports.json]
enabled = true

[generation]
max-examples = {config["max_examples"]}
database = "none"
no-shrink = true

[checks]
enabled = false
{checks}
"""


def run_schemathesis(
    config: dict, base: str, schema_path: Path, *, role: str, user: dict, work_dir: Path
) -> dict:
    """Runs Schemathesis as one signed-in user; returns the run's summary."""
    role_dir = work_dir / role
    role_dir.mkdir()
    config_path = role_dir / "schemathesis.toml"
    config_path.write_text(schemathesis_config(config, base, user["token"], role_dir / "reports"))
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - fixed program, arguments from this module
        [
            str(VENV_BIN / "schemathesis"),
            "--config-file",
            str(config_path),
            "run",
            str(schema_path),
        ],
        cwd=role_dir,  # anything it writes by default stays in the temporary directory
        env={
            **os.environ,
            "FUZZ_OWN_USER_ID": str(user["id"]),
        },
        check=False,
    )
    summary = {"role": role, "exit": result.returncode, "seconds": time.monotonic() - started}
    reports = sorted((role_dir / "reports").glob("*.json"))
    if reports:
        report = json.loads(reports[-1].read_text())
        summary.update(
            operations=report["operations"]["tested"],
            test_cases=report["test_cases"]["generated"],
            failures=report["test_cases"]["unique_failures"],
            errors=sum(error["count"] for error in report["errors"]),
        )
    return summary


def fuzz(config: dict, work_dir: Path) -> int:
    env = app_environment(config, work_dir)
    with ExitStack() as stack:
        log(f"==> database {config['database']}: created, migrated, seeded")
        stack.enter_context(fresh_database(config, env))
        flush_redis(config)
        base = stack.enter_context(server(env, work_dir / "gunicorn.log"))
        log(f"==> LogiTrack on {base} (Gunicorn, {WORKERS} workers, DJANGO_DEBUG=0)")
        users = {role: sign_in(base, name, password) for role, name, password in USERS}
        schema = http_json("GET", f"{base}/api/schema/?format=json", token=users["admin"]["token"])
        schema_path = work_dir / "openapi.json"
        schema_path.write_text(json.dumps(schema))
        # The driver first: the admin's run writes (deletes, deactivates) what it reads.
        runs = []
        for role in ("driver", "admin"):
            log(f"\n==> schemathesis as {role} (seed {config['seed']})")
            runs.append(
                run_schemathesis(
                    config, base, schema_path, role=role, user=users[role], work_dir=work_dir
                )
            )
        errors = [
            line
            for line in (work_dir / "gunicorn.log").read_text().splitlines()
            if "Traceback" in line or " ERROR " in line
        ]
    log("\n==> make fuzz")
    for run in runs:
        verdict = "passed" if run["exit"] == 0 else f"FAILED (exit {run['exit']})"
        counts = (
            f": {run['operations']} operations, {run['test_cases']} test cases, "
            f"{run['failures']} failures, {run['errors']} errors"
            if "test_cases" in run
            else ""
        )
        log(f"  as {run['role']}: {verdict} in {run['seconds']:.0f} s{counts}")
    if errors:
        log(f"  server log: {len(errors)} error lines")
    return 0 if all(run["exit"] == 0 for run in runs) else 1


def main() -> int:
    try:
        config = load_config(os.environ)
        kept = os.environ.get("FUZZ_WORK_DIR", "").strip()
        if kept:  # kept for a look at the reports and the server's log
            Path(kept).mkdir(parents=True, exist_ok=False)
            return fuzz(config, Path(kept).resolve())
        with tempfile.TemporaryDirectory(prefix="logitrack-fuzz-") as work_dir:
            return fuzz(config, Path(work_dir))
    except FuzzError as exc:
        print(f"make fuzz: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
