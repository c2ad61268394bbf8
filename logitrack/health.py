"""Liveness and readiness probes (outside ``/api/``, no authentication)."""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from logitrack.breaker import breaker_for

logger = logging.getLogger(__name__)


@never_cache
def live(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return "ok" if ok else "down"


def _check_broker() -> str:
    """``not_configured`` when tasks run eagerly in-process (no ``REDIS_URL``); ``down``
    at once while the broker is skipped after a failure (``logitrack.breaker``)."""
    from logitrack.celery import app

    if app.conf.task_always_eager:
        return "not_configured"
    if app.conf.broker_url.startswith("redis"):
        breaker = breaker_for(app.conf.broker_url)
        if breaker.is_open:
            return "down"
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=1)
        connection.default_channel.client.ping()  # connected is not answering
    return "ok"


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


@never_cache
def ready(request):
    """``200`` with every dependency ``ok``; ``503`` naming what is ``down``."""
    report = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception:
            logger.exception("Readiness check %s failed", name)
            report[name] = "down"
    status = 503 if "down" in report.values() else 200
    return JsonResponse(report, status=status)
