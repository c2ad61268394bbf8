"""The Celery app: ``celery -A logitrack worker`` / ``celery -A logitrack beat``.

Configured from Django settings (``CELERY_*``); tasks live in each app's ``tasks.py``.
"""

import logging
import os

from celery import Celery

logger = logging.getLogger(__name__)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logitrack.settings")

app = Celery("logitrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue(task, *args) -> bool:
    """Hands ``task(*args)`` to a worker; ``False`` when the broker could not take it
    (it failed, or it is being skipped after a failure: ``logitrack.breaker``), which
    costs the caller at most the broker's timeouts once per pause. Callers keep what
    was not sent where a sweep finds it."""
    from logitrack.breaker import breaker_for

    if app.conf.task_always_eager:
        task.delay(*args)
        return True
    breaker = breaker_for(app.conf.broker_url) if app.conf.broker_url.startswith("redis") else None
    try:
        if breaker is not None:
            breaker.check()
        task.delay(*args)
    except Exception as exc:
        logger.warning("Could not enqueue %s%r: %s", task.name, args, exc)
        if breaker is not None:
            breaker.failed(exc)
        return False
    return True
