"""WSGI entry point (Gunicorn: ``logitrack.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logitrack.settings")

application = get_wsgi_application()
