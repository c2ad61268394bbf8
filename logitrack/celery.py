"""The Celery app: ``celery -A logitrack worker`` / ``celery -A logitrack beat``.

Configured from Django settings (``CELERY_*``); tasks live in each app's ``tasks.py``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logitrack.settings")

app = Celery("logitrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
