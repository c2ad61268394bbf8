"""gunicorn.conf.py: which peers' X-Forwarded-* headers Gunicorn believes."""

import http.client
import os
import runpy
import subprocess
import sys
import time

import pytest
from django.conf import settings

from logitrack.tests.liveserver import INHERITED, LOOPBACK, free_port, gunicorn_installed

CONF = settings.BASE_DIR / "gunicorn.conf.py"

# Answers with the scheme Gunicorn decided on: https only if it believed the header.
ECHO_APP = """
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["wsgi.url_scheme"].encode()]
"""


def read_conf(monkeypatch, **variables) -> dict:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_without_a_proxy_no_peer_is_trusted(monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXY_COUNT", raising=False)

    assert read_conf(monkeypatch)["forwarded_allow_ips"] == ""
    assert read_conf(monkeypatch, TRUSTED_PROXY_COUNT="0")["forwarded_allow_ips"] == ""


def test_behind_a_proxy_the_peer_is_trusted(monkeypatch):
    assert read_conf(monkeypatch, TRUSTED_PROXY_COUNT="1")["forwarded_allow_ips"] == "*"


def test_gunicorn_ignores_its_own_forwarded_allow_ips_variable(monkeypatch):
    conf = read_conf(monkeypatch, TRUSTED_PROXY_COUNT="0", FORWARDED_ALLOW_IPS="*")

    assert conf["forwarded_allow_ips"] == ""


def test_a_negative_count_is_refused(monkeypatch):
    with pytest.raises(ValueError, match="TRUSTED_PROXY_COUNT"):
        read_conf(monkeypatch, TRUSTED_PROXY_COUNT="-1")


def scheme_seen(tmp_path, trusted_proxy_count: str) -> str:
    """What Gunicorn, configured by gunicorn.conf.py, makes of ``X-Forwarded-Proto:
    https`` from a loopback peer."""
    (tmp_path / "echo_app.py").write_text(ECHO_APP)
    port = free_port()
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(TRUSTED_PROXY_COUNT=trusted_proxy_count, GUNICORN_WORKERS="1")
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(CONF),
            "--bind",
            f"{LOOPBACK}:{port}",
            "--pythonpath",
            str(tmp_path),
            "echo_app:application",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
            try:
                connection.request("GET", "/", headers={"X-Forwarded-Proto": "https"})
                return connection.getresponse().read().decode()
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
            finally:
                connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.mark.skipif(not gunicorn_installed(), reason="gunicorn is not installed")
@pytest.mark.parametrize(("count", "scheme"), [("0", "http"), ("1", "https")])
def test_gunicorn_believes_a_scheme_header_only_behind_a_proxy(tmp_path, count, scheme):
    assert scheme_seen(tmp_path, count) == scheme
