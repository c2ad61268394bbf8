"""One schedule, in one place, naming tasks that exist; tasks speak JSON."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from deliveries.tasks import send_late_deliveries_digest, sweep_notifications
from logitrack.celery import app
from users.tasks import flush_expired_tokens


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "deliveries.tasks.sweep_notifications",
        "deliveries.tasks.send_late_deliveries_digest",
        "deliveries.tasks.mark_late_deliveries",
        "users.tasks.flush_expired_tokens",
        "idempotency.tasks.purge_expired_keys",
        "webhooks.tasks.sweep_webhook_messages",
        "locations.tasks.purge_old_locations",
    }
    assert scheduled <= set(app.tasks)


def test_json_only_and_one_task_at_a_time():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.tasks["deliveries.tasks.build_report"].acks_late is True
    assert app.tasks["deliveries.tasks.send_event_notification"].acks_late is True


@pytest.mark.django_db
def test_flush_expired_tokens_drops_only_expired_ones(dispatcher):
    now = timezone.now()
    for jti, expires in (("old", now - dt.timedelta(days=1)), ("new", now + dt.timedelta(days=1))):
        OutstandingToken.objects.create(
            user=dispatcher, jti=jti, token=jti, created_at=now, expires_at=expires
        )

    flush_expired_tokens.delay()

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["new"]


@pytest.mark.django_db
def test_sweep_and_digest_tasks_run(dispatcher):
    from deliveries.tests.factories import DeliveryFactory

    DeliveryFactory(scheduled_for=timezone.now() - dt.timedelta(hours=2))
    assert sweep_notifications.delay().get() == 0
    assert send_late_deliveries_digest.delay().get() == 1
    assert len(mail.outbox) == 1
