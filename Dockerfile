# LogiTrack image: Gunicorn serving the API; the same image runs migrations, the Celery
# worker and Celery beat (see docker-compose.yml and docs/deploy.md).
#
# Stages: builder (virtualenv from the pinned requirements.txt), runtime (the application),
# test (runtime plus requirements-dev.txt, for running the suite) and production (the
# default target, identical to runtime).

FROM python:3.12-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# psycopg2-binary and every other pin ship wheels: no compiler, no system packages.
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt


FROM python:3.12-slim AS runtime

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

RUN groupadd --system --gid 10001 logitrack \
    && useradd --system --uid 10001 --gid logitrack --create-home \
        --home-dir /home/logitrack --shell /usr/sbin/nologin logitrack

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The code stays owned by root: the application process can read it, not change it.
COPY . .

# Static files are collected into the image (STATIC_ROOT, /app/staticfiles). Settings refuse
# to load with DJANGO_DEBUG off unless the secrets are set, so this one command gets
# throwaway values; the image carries none. /app/media (MEDIA_ROOT) is the one directory
# the application writes to, and a volume mounted there inherits its owner.
RUN DJANGO_DEBUG=0 \
    DJANGO_SECRET_KEY=collectstatic-build-only-value-not-a-secret \
    JWT_SIGNING_KEY=collectstatic-build-only-value-not-a-signing-key \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown logitrack:logitrack /app/media

USER 10001:10001
EXPOSE 8000

# Liveness: the process answers /health/live/. The Host header is the first of
# DJANGO_ALLOWED_HOSTS, so Django accepts the request; X-Forwarded-Proto keeps an HTTPS
# redirect from answering in its place when the proxy header is trusted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = h if h and h != '*' else 'localhost'; u.urlopen(u.Request('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health/live/', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4)"]

CMD ["gunicorn", "--config", "gunicorn.conf.py", "logitrack.wsgi:application"]


FROM runtime AS test

USER 0:0
RUN pip install --no-cache-dir -r requirements-dev.txt
USER 10001:10001
# The code is read-only to the test run: no pytest cache directory.
ENV PYTEST_ADDOPTS="-p no:cacheprovider"
CMD ["python", "-m", "pytest"]


# The default target (a plain `docker build .`): the application image.
FROM runtime AS production
