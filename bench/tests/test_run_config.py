"""``make bench`` refuses to run without PostgreSQL and Redis, and never uses the
database or Redis database that DATABASE_URL and REDIS_URL name."""

import pytest

from bench import run

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/logitrack"
REDIS_URL = "redis://127.0.0.1:6379/0"


def test_databases_of_its_own_on_the_same_server():
    url = run.bench_database_url(DATABASE_URL, "1m")
    assert url == "postgres://postgres@127.0.0.1:5432/logitrack_bench_1m"
    assert run.admin_database_url(DATABASE_URL) == "postgres://postgres@127.0.0.1:5432/postgres"


def test_redis_database_of_its_own():
    assert run.bench_redis_url(REDIS_URL, 12) == "redis://127.0.0.1:6379/12"
    assert run.bench_redis_url("redis://127.0.0.1:6379", 12) == "redis://127.0.0.1:6379/12"
    with pytest.raises(run.BenchError, match="BENCH_REDIS_DB"):
        run.bench_redis_url("redis://127.0.0.1:6379/12", 12)


def test_configuration_from_the_environment():
    config = run.load_config(
        {
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "BENCH_SIZES": "10k",
            "BENCH_DURATION": "5",
        }
    )
    assert config["sizes"] == ["10k"]
    assert config["duration"] == 5
    assert config["connections"] == 8
    assert config["threads"] == 2
    assert config["redis_url"] == "redis://127.0.0.1:6379/12"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_URL": REDIS_URL}, "needs DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///db.sqlite3", "REDIS_URL": REDIS_URL}, "needs DATABASE_URL"),
        ({"DATABASE_URL": DATABASE_URL}, "needs REDIS_URL"),
        ({"DATABASE_URL": "postgres://h:5432/", "REDIS_URL": REDIS_URL}, "names no database"),
        ({"DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "BENCH_SIZES": "x"}, "BENCH_SIZES"),
        (
            {"DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "BENCH_DURATION": "ten"},
            "BENCH_DURATION",
        ),
    ],
)
def test_clear_refusals(env, message):
    with pytest.raises(run.BenchError, match=message):
        run.load_config(env)


def test_main_exits_with_the_reason_when_unconfigured(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert run.main() == 2
    assert "needs DATABASE_URL" in capsys.readouterr().err
